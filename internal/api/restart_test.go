package api_test

import (
	"reflect"
	"testing"
	"time"
)

// TestRestartKeepsData stops a server, closes its store and serves the same
// store again: everything written through the REST API is still there.
func TestRestartKeepsData(t *testing.T) {
	path := newStoreLocation(t)
	clk := &clock{t: testEpoch}

	first := startServer(t, path, clk)
	first.must(t, pathMultiImport, `{"AccountList":[{"UserID":"u_ana","Nick":"Ana"},{"UserID":"u_mei"},{"UserID":"u_gone"}]}`, 0)
	first.must(t, pathDelete, `{"DeleteItem":[{"UserID":"u_gone"}]}`, 0)
	first.createGroup(t, `{"Owner_Account":"u_ana","Type":"Public","GroupId":"design_review","Name":"Design Review",
		"AppDefinedData":[{"Key":"Tier","Value":"gold"}],"MemberList":[{"Member_Account":"u_mei","Role":"Admin"}]}`)
	live := first.createGroup(t, `{"Owner_Account":"u_ana","Type":"AVChatRoom","Name":"Live"}`)
	first.must(t, pathBan, `{"GroupId":"`+live+`","Members_Account":["u_spam"],"Duration":3600}`, 0)
	before := first.groupInfo(t, "design_review")
	first.close()

	clk.Advance(time.Minute)
	second := startServer(t, path, clk)
	want := map[string]string{"u_ana": "Imported", "u_mei": "Imported", "u_gone": "NotImported"}
	if got := second.statuses(t, "u_ana", "u_mei", "u_gone"); !reflect.DeepEqual(got, want) {
		t.Errorf("accounts after restart %v, want %v", got, want)
	}
	if p := second.profile(t, "u_ana"); p.Nick != "Ana" {
		t.Errorf("u_ana nick %q after restart", p.Nick)
	}
	if after := second.groupInfo(t, "design_review"); !reflect.DeepEqual(after, before) {
		t.Errorf("group after restart:\n%v\nwant\n%v", after, before)
	}
	env := second.appGroups(t, `{}`, 0)
	if got := groupIDs(t, env["GroupIdList"]); !reflect.DeepEqual(got, []string{"design_review", live}) {
		t.Errorf("groups after restart %v", got)
	}
	env = second.must(t, pathJoined, `{"Member_Account":"u_mei","ResponseFilter":{"SelfInfoFilter":["Role"]}}`, 0)
	if items := list(t, env["GroupIdList"]); len(items) != 1 || !reflect.DeepEqual(items[0]["SelfInfo"], map[string]any{"Role": "Admin"}) {
		t.Errorf("u_mei's groups after restart %v", items)
	}
	bans, _ := second.bans(t, `{"GroupId":"`+live+`","Offset":0}`)
	if want := []bannedAccount{{"u_spam", testEpoch.Unix() + 3600}}; !reflect.DeepEqual(bans, want) {
		t.Errorf("bans after restart %v, want %v", bans, want)
	}
	// The IDs stay taken, and the stored owner still decides between the codes.
	second.must(t, pathCreateGroup, `{"Owner_Account":"u_ana","Type":"Public","GroupId":"design_review","Name":"x"}`, 10025)
	second.must(t, pathCreateGroup, `{"Owner_Account":"u_mei","Type":"Public","GroupId":"design_review","Name":"x"}`, 10021)
}
