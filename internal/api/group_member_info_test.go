package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// accounts reads the Member_Account of each entry of a MemberList.
func accounts(t *testing.T, v any) []string {
	t.Helper()
	out := []string{}
	for _, m := range list(t, v) {
		out = append(out, m["Member_Account"].(string))
	}
	return out
}

func TestGetGroupMemberInfo(t *testing.T) {
	ts := memberFixture(t)
	ts.must(t, pathModifyMember, `{"GroupId":"pub","Member_Account":"u_mei","MsgFlag":"AcceptNotNotify","MuteTime":600,"AppMemberDefinedData":[{"Key":"Level","Value":"3"}]}`, 0)
	muteEnd := ts.clock.Now().Unix() + 600

	env := ts.must(t, pathMemberInfo, `{"GroupId":"pub"}`, 0)
	sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "MemberNum", "MemberList")
	wantEqual(t, "all members in join order", accounts(t, env["MemberList"]), []string{"u_ana", "u_ravi", "u_mei"})
	for _, m := range list(t, env["MemberList"]) {
		sameKeys(t, "member", m, fullMemberKeys...)
	}
	mei := list(t, env["MemberList"])[2]
	wantEqual(t, "u_mei", []any{mei["MsgFlag"], num(t, mei["MuteUntil"]), mei["AppMemberDefinedData"]},
		[]any{"AcceptNotNotify", muteEnd, []any{map[string]any{"Key": "Level", "Value": "3"}}})

	t.Run("the spec's example", func(t *testing.T) {
		env := ts.must(t, pathMemberInfo, `{"GroupId":"pub","Limit":2,"Offset":0,"MemberInfoFilter":["Role","JoinTime","MsgFlag","MuteUntil","NameCard"],"AppDefinedDataFilter_GroupMember":["Level"]}`, 0)
		wantEqual(t, "MemberNum is the group's", num(t, env["MemberNum"]), int64(3))
		ms := list(t, env["MemberList"])
		wantEqual(t, "page", accounts(t, env["MemberList"]), []string{"u_ana", "u_ravi"})
		sameKeys(t, "filtered member", ms[0], "Member_Account", "Role", "JoinTime", "MsgFlag", "MuteUntil", "NameCard", "AppMemberDefinedData")
		env = ts.must(t, pathMemberInfo, `{"GroupId":"pub","Limit":2,"Offset":2,"MemberInfoFilter":["ShutUpUntil","Account"]}`, 0)
		ms = list(t, env["MemberList"])
		wantEqual(t, "page 2 with legacy names", ms, []map[string]any{{"Member_Account": "u_mei", "Account": "u_mei", "ShutUpUntil": ms[0]["ShutUpUntil"]}})
		wantEqual(t, "ShutUpUntil", num(t, ms[0]["ShutUpUntil"]), muteEnd)
	})
	t.Run("role filter", func(t *testing.T) {
		env := ts.must(t, pathMemberInfo, `{"GroupId":"pub","MemberRoleFilter":["Owner","Admin"],"MemberInfoFilter":["Role"]}`, 0)
		wantEqual(t, "owner and admin", accounts(t, env["MemberList"]), []string{"u_ana", "u_ravi"})
		wantEqual(t, "MemberNum stays the total", num(t, env["MemberNum"]), int64(3))
	})
	t.Run("an ended mute reads 0", func(t *testing.T) {
		ts.clock.Advance(600 * time.Second)
		m := ts.member(t, "pub", "u_mei")
		wantEqual(t, "MuteUntil", num(t, m["MuteUntil"]), int64(0))
		env := ts.must(t, pathGroupInfo, `{"GroupIdList":["pub"],"ResponseFilter":{"MemberInfoFilter":["MuteUntil"]}}`, 0)
		for _, m := range list(t, list(t, env["GroupInfo"])[0]["MemberList"]) {
			if num(t, m["MuteUntil"]) != 0 {
				t.Errorf("get_group_info: %v", m)
			}
		}
	})

	t.Run("Community cursor", func(t *testing.T) {
		members := ids("c", 7)
		ts.importAccounts(t, members...)
		ts.must(t, pathAddMembers, jsonBody(t, map[string]any{"GroupId": "@TGS#_hub", "MemberList": memberList(members)}), 0)
		var seen []string
		next := ""
		for range 10 {
			env := ts.must(t, pathMemberInfo, fmt.Sprintf(`{"GroupId":"@TGS#_hub","Limit":3,"Next":%q,"MemberInfoFilter":["Role"]}`, next), 0)
			wantEqual(t, "MemberNum", num(t, env["MemberNum"]), int64(8))
			seen = append(seen, accounts(t, env["MemberList"])...)
			next = env["Next"].(string)
			if next == "" {
				break
			}
		}
		wantEqual(t, "every member once", seen, append([]string{"u_ana"}, members...))
		env := ts.must(t, pathMemberInfo, `{"GroupId":"@TGS#_hub"}`, 0)
		if len(list(t, env["MemberList"])) != 8 || env["Next"] != "" {
			t.Errorf("no Limit: %d members, Next %v; want all 8 and \"\"", len(list(t, env["MemberList"])), env["Next"])
		}
	})

	ts.runCodes(t, pathMemberInfo, []codeCase{
		{"Limit 6000", `{"GroupId":"pub","Limit":6000}`, 0},
		{"Limit 6001", `{"GroupId":"pub","Limit":6001}`, 10004},
		{"Limit 0", `{"GroupId":"pub","Limit":0}`, 10004},
		{"Offset negative", `{"GroupId":"pub","Offset":-1}`, 10004},
		{"Community Limit 100", `{"GroupId":"@TGS#_hub","Limit":100,"Next":""}`, 0},
		{"Community Limit 101", `{"GroupId":"@TGS#_hub","Limit":101,"Next":""}`, 10004},
		{"Community with Offset", `{"GroupId":"@TGS#_hub","Offset":0}`, 10004},
		{"Community with a bad Next", `{"GroupId":"@TGS#_hub","Next":"abc"}`, 10004},
		{"unknown role", `{"GroupId":"pub","MemberRoleFilter":["Boss"]}`, 10004},
		{"AVChatRoom", `{"GroupId":"live"}`, 10007},
		{"unknown group", `{"GroupId":"nope"}`, 10010},
		{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `"}`, 10015},
	})
}

// TestGetMemberInfoTooLarge fills members' text fields with bytes that
// JSON escapes six-fold, so 500 of them make a reply over 1 MB (10018).
func TestGetMemberInfoTooLarge(t *testing.T) {
	ts := memberFixture(t, withRateLimit(0))
	members := ids("big", 500)
	for i := 0; i < len(members); i += 100 {
		ts.importAccounts(t, members[i:i+100]...)
	}
	ts.createGroup(t, `{"Type":"Public","GroupId":"big","Name":"Big"}`)
	for i := 0; i < len(members); i += 250 {
		ts.must(t, pathAddMembers, jsonBody(t, map[string]any{"GroupId": "big", "MemberList": memberList(members[i : i+250])}), 0)
	}
	value := strings.Repeat("\u0001", 64)
	var kvs []map[string]string
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		kvs = append(kvs, map[string]string{"Key": k, "Value": value})
	}
	for _, id := range members {
		ts.must(t, pathModifyMember, jsonBody(t, map[string]any{"GroupId": "big", "Member_Account": id,
			"NameCard": strings.Repeat("\u0001", 50), "AppMemberDefinedData": kvs}), 0)
	}
	ts.must(t, pathMemberInfo, `{"GroupId":"big"}`, 10018)
	ts.must(t, pathMemberInfo, `{"GroupId":"big","Limit":300}`, 0)
	ts.must(t, pathGroupInfo, `{"GroupIdList":["big"]}`, 10018)
	ts.must(t, pathGroupInfo, `{"GroupIdList":["big"],"ResponseFilter":{"MemberInfoFilter":["Role"]}}`, 0)
}

func TestGetSpecifiedGroupMemberInfo(t *testing.T) {
	ts := memberFixture(t)
	ts.must(t, pathModifyMember, `{"GroupId":"pub","Member_Account":"u_ravi","NameCard":"Ravi (lead)"}`, 0)
	env := ts.must(t, pathSpecified, `{"GroupId":"pub","Member_List_Account":["u_ravi","u_zed","u_mei","u_ravi"],"MemberInfoFilter":["Role","NameCard"]}`, 0)
	sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "MemberList")
	wantEqual(t, "members, non-members left out", list(t, env["MemberList"]), []map[string]any{
		{"Member_Account": "u_ravi", "Role": "Admin", "NameCard": "Ravi (lead)"},
		{"Member_Account": "u_mei", "Role": "Member", "NameCard": ""}})
	env = ts.must(t, pathSpecified, `{"GroupId":"pub","Member_List_Account":["u_ravi","u_mei","u_ana"],"MemberRoleFilter":["Member","Owner"]}`, 0)
	wantEqual(t, "role filter", accounts(t, env["MemberList"]), []string{"u_mei", "u_ana"})
	for _, m := range list(t, env["MemberList"]) {
		sameKeys(t, "unfiltered", m, fullMemberKeys...)
	}
	ts.runCodes(t, pathSpecified, []codeCase{
		{"50 users", jsonBody(t, map[string]any{"GroupId": "pub", "Member_List_Account": ids("u", 50)}), 0},
		{"51 users", jsonBody(t, map[string]any{"GroupId": "pub", "Member_List_Account": ids("u", 51)}), 10005},
		{"list empty", `{"GroupId":"pub","Member_List_Account":[]}`, 10004},
		{"unknown role", `{"GroupId":"pub","Member_List_Account":["u_mei"],"MemberRoleFilter":["Boss"]}`, 10004},
		{"AVChatRoom", `{"GroupId":"live","Member_List_Account":["u_ana"]}`, 10007},
		{"unknown group", `{"GroupId":"nope","Member_List_Account":["u_ana"]}`, 10010},
		{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `","Member_List_Account":["u_ana"]}`, 10015},
	})
}

func TestModifyGroupMemberInfo(t *testing.T) {
	ts := memberFixture(t)
	ts.must(t, pathModifyMember, `{"GroupId":"pub","Member_Account":"u_mei","Role":"Admin","NameCard":"Mei (QA)","MsgFlag":"AcceptNotNotify",
		"AppMemberDefinedData":[{"Key":"Level","Value":"3"},{"Key":"Gone","Value":""}]}`, 0)
	m := ts.member(t, "pub", "u_mei")
	wantEqual(t, "member", []any{m["Role"], m["NameCard"], m["MsgFlag"], m["AppMemberDefinedData"]},
		[]any{"Admin", "Mei (QA)", "AcceptNotNotify", []any{map[string]any{"Key": "Level", "Value": "3"}}})
	d := ts.events.takeOne(t, "GroupEvent", "MemberInfoChanged")
	wantEqual(t, "event", d.event, map[string]any{"Type": "MemberInfoChanged", "GroupId": "pub", "Operator_Account": testAdmin,
		"Member_Account": "u_mei", "Role": "Admin", "NameCard": "Mei (QA)", "MsgFlag": "AcceptNotNotify",
		"AppMemberDefinedData": []any{map[string]any{"Key": "Level", "Value": "3"}}})

	t.Run("revoke admin, only listed fields change", func(t *testing.T) {
		ts.must(t, pathModifyMember, `{"GroupId":"pub","Member_Account":"u_mei","Role":"Member"}`, 0)
		m := ts.member(t, "pub", "u_mei")
		wantEqual(t, "member", []any{m["Role"], m["NameCard"]}, []any{"Member", "Mei (QA)"})
		ts.events.takeOne(t, "GroupEvent", "MemberInfoChanged")
	})
	t.Run("mute and unmute, legacy ShutUpTime too", func(t *testing.T) {
		ts.must(t, pathModifyMember, `{"GroupId":"pub","Member_Account":"u_mei","ShutUpTime":60}`, 0)
		until := ts.clock.Now().Unix() + 60
		wantEqual(t, "MuteUntil", num(t, ts.member(t, "pub", "u_mei")["MuteUntil"]), until)
		d := ts.events.takeOne(t, "GroupEvent", "MembersMuted")
		wantEqual(t, "event", d.event["MutedAccountList"], []any{map[string]any{"Member_Account": "u_mei", "MutedUntil": float64(until)}})
		env := ts.must(t, pathMuted, `{"GroupId":"pub"}`, 0)
		wantEqual(t, "listed as muted", accounts(t, env["MutedAccountList"]), []string{"u_mei"})
		ts.must(t, pathModifyMember, `{"GroupId":"pub","Member_Account":"u_mei","MuteTime":0}`, 0)
		wantEqual(t, "unmuted", num(t, ts.member(t, "pub", "u_mei")["MuteUntil"]), int64(0))
		ts.events.takeOne(t, "GroupEvent", "MembersMuted")
	})
	t.Run("custom fields: at most 5 keys", func(t *testing.T) {
		ts.must(t, pathModifyMember, `{"GroupId":"pub","Member_Account":"u_mei","AppMemberDefinedData":[{"Key":"a","Value":"1"},{"Key":"b","Value":"1"},{"Key":"c","Value":"1"},{"Key":"d","Value":"1"}]}`, 0)
		ts.must(t, pathModifyMember, `{"GroupId":"pub","Member_Account":"u_mei","AppMemberDefinedData":[{"Key":"e","Value":"1"}]}`, 10004)
		ts.must(t, pathModifyMember, `{"GroupId":"pub","Member_Account":"u_mei","AppMemberDefinedData":[{"Key":"a","Value":""},{"Key":"e","Value":"1"}]}`, 0)
		ts.events.take()
	})
	t.Run("nothing to change", func(t *testing.T) {
		ts.must(t, pathModifyMember, `{"GroupId":"pub","Member_Account":"u_mei","NameCard":"Mei (QA)"}`, 0)
		if got := ts.events.take(); len(got) != 0 {
			t.Errorf("events %+v, want none", got)
		}
	})
	ts.runCodes(t, pathModifyMember, []codeCase{
		{"owner's role", `{"GroupId":"pub","Member_Account":"u_ana","Role":"Member"}`, 10007},
		{"owner's role to Admin", `{"GroupId":"pub","Member_Account":"u_ana","Role":"Admin"}`, 10007},
		{"owner's NameCard", `{"GroupId":"pub","Member_Account":"u_ana","NameCard":"boss"}`, 0},
		{"Role Owner", `{"GroupId":"pub","Member_Account":"u_mei","Role":"Owner"}`, 10004},
		{"admin in a Work group", `{"GroupId":"work","Member_Account":"u_mei","Role":"Admin"}`, 10007},
		{"mute in a Work group", `{"GroupId":"work","Member_Account":"u_mei","MuteTime":60}`, 10007},
		{"NameCard in a Work group", `{"GroupId":"work","Member_Account":"u_mei","NameCard":"m"}`, 0},
		{"AVChatRoom", `{"GroupId":"live","Member_Account":"u_ana","NameCard":"x"}`, 10007},
		{"not a member", `{"GroupId":"pub","Member_Account":"u_zed","NameCard":"x"}`, 10007},
		{"NameCard of 50 bytes", `{"GroupId":"pub","Member_Account":"u_mei","NameCard":"` + strings.Repeat("n", 50) + `"}`, 0},
		{"NameCard over 50 bytes", `{"GroupId":"pub","Member_Account":"u_mei","NameCard":"` + strings.Repeat("n", 51) + `"}`, 10004},
		{"MsgFlag unknown", `{"GroupId":"pub","Member_Account":"u_mei","MsgFlag":"Loud"}`, 10004},
		{"MuteTime negative", `{"GroupId":"pub","Member_Account":"u_mei","MuteTime":-1}`, 10004},
		{"MuteTime over 32 bits", `{"GroupId":"pub","Member_Account":"u_mei","MuteTime":4294967296}`, 10004},
		{"custom value over 64 bytes", `{"GroupId":"pub","Member_Account":"u_mei","AppMemberDefinedData":[{"Key":"k","Value":"` + strings.Repeat("v", 65) + `"}]}`, 10004},
		{"Member_Account missing", `{"GroupId":"pub","NameCard":"x"}`, 10004},
		{"unknown group", `{"GroupId":"nope","Member_Account":"u_mei"}`, 10010},
		{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `","Member_Account":"u_mei"}`, 10015},
	})
}
