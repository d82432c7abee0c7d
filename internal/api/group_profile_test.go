package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
)

// profileFixture: groups of every type owned by u_ana, with u_mei a member
// of the stored ones.
func profileFixture(t *testing.T, opts ...option) *groupServer {
	t.Helper()
	ts := newGroupServer(t, opts...)
	ts.importAccounts(t, "u_ana", "u_mei")
	for _, body := range []string{
		`{"Owner_Account":"u_ana","Type":"Public","GroupId":"pub","Name":"Pub","MemberList":[{"Member_Account":"u_mei"}]}`,
		`{"Owner_Account":"u_ana","Type":"Private","GroupId":"work","Name":"Work","MemberList":[{"Member_Account":"u_mei"}]}`,
		`{"Owner_Account":"u_ana","Type":"ChatRoom","GroupId":"meet","Name":"Meet","MemberList":[{"Member_Account":"u_mei"}]}`,
		`{"Owner_Account":"u_ana","Type":"AVChatRoom","GroupId":"live","Name":"Live"}`,
		`{"Owner_Account":"u_ana","Type":"Community","GroupId":"@TGS#_hub","Name":"Hub","MemberList":[{"Member_Account":"u_mei"}]}`,
	} {
		ts.createGroup(t, body)
	}
	ts.events.take()
	return ts
}

func TestModifyGroupBaseInfo(t *testing.T) {
	ts := profileFixture(t)
	ts.clock.Advance(time.Minute)
	ts.must(t, pathModifyGroup, `{"GroupId":"pub","Name":"Pub 2","Introduction":"intro","Notification":"Critique moves to Thursday",
		"FaceUrl":"https://img.example/p.png","MaxMemberNum":300,"ApplyJoinOption":"FreeAccess","MuteAllMember":"On",
		"AppDefinedData":[{"Key":"Tier","Value":"gold"},{"Key":"Region","Value":""}]}`, 0)
	g := ts.groupInfo(t, "pub")
	wantEqual(t, "profile", []any{g["Name"], g["Introduction"], g["Notification"], g["FaceUrl"], num(t, g["MaxMemberNum"]),
		g["ApplyJoinOption"], g["MuteAllMember"], num(t, g["InfoSeq"]), num(t, g["LastInfoTime"])},
		[]any{"Pub 2", "intro", "Critique moves to Thursday", "https://img.example/p.png", int64(300), "FreeAccess", "On", int64(1), ts.clock.Now().Unix()})
	wantEqual(t, "custom data", g["AppDefinedData"], []any{map[string]any{"Key": "Tier", "Value": "gold"}})
	ev := ts.events.takeOne(t, "GroupEvent", "GroupInfoChanged").event
	wantEqual(t, "event", ev, map[string]any{"Type": "GroupInfoChanged", "GroupId": "pub", "Operator_Account": testAdmin,
		"InfoSeq": 1.0, "Name": "Pub 2", "Introduction": "intro", "Notification": "Critique moves to Thursday",
		"FaceUrl": "https://img.example/p.png", "MaxMemberNum": 300.0, "ApplyJoinOption": "FreeAccess", "MuteAllMember": "On",
		"AppDefinedData": []any{map[string]any{"Key": "Tier", "Value": "gold"}}})

	t.Run("only listed fields change", func(t *testing.T) {
		ts.must(t, pathModifyGroup, `{"GroupId":"pub","AppDefinedData":[{"Key":"Tier","Value":""},{"Key":"Color","Value":"red"}],"ShutUpAllMember":"Off"}`, 0)
		g := ts.groupInfo(t, "pub")
		wantEqual(t, "after", []any{g["Name"], g["MuteAllMember"], num(t, g["InfoSeq"]), g["AppDefinedData"]},
			[]any{"Pub 2", "Off", int64(2), []any{map[string]any{"Key": "Color", "Value": "red"}}})
		ev := ts.events.takeOne(t, "GroupEvent", "GroupInfoChanged").event
		wantEqual(t, "legacy switch in the event", ev["MuteAllMember"], "Off")
	})
	t.Run("a change to the same values changes nothing", func(t *testing.T) {
		ts.must(t, pathModifyGroup, `{"GroupId":"pub","Name":"Pub 2","MuteAllMember":"Off"}`, 0)
		if g := ts.groupInfo(t, "pub"); num(t, g["InfoSeq"]) != 2 {
			t.Errorf("InfoSeq %v, want 2", g["InfoSeq"])
		}
		if got := ts.events.take(); len(got) != 0 {
			t.Errorf("events %+v, want none", got)
		}
	})
	t.Run("MaxMemberNum is bounded by the type's cap", func(t *testing.T) {
		ts.must(t, pathModifyGroup, `{"GroupId":"pub","MaxMemberNum":100000}`, 0)
		ts.must(t, pathModifyGroup, `{"GroupId":"@TGS#_hub","MaxMemberNum":100000}`, 0)
		ts.must(t, pathModifyGroup, `{"GroupId":"live","MaxMemberNum":50}`, 0)
		for id, want := range map[string]int64{"pub": config.DefaultGroupMemberLimit, "@TGS#_hub": 100000, "live": 0} {
			if g := ts.groupInfo(t, id); num(t, g["MaxMemberNum"]) != want {
				t.Errorf("%s: MaxMemberNum %v, want %d", id, g["MaxMemberNum"], want)
			}
		}
	})
	t.Run("every type", func(t *testing.T) {
		for _, id := range []string{"work", "meet", "live", "@TGS#_hub"} {
			ts.must(t, pathModifyGroup, `{"GroupId":"`+id+`","Notification":"n"}`, 0)
		}
	})

	long := func(n int) string { return strings.Repeat("x", n) }
	ts.runCodes(t, pathModifyGroup, []codeCase{
		{"Name of 30 bytes", `{"GroupId":"pub","Name":"` + long(30) + `"}`, 0},
		{"Name over 30 bytes", `{"GroupId":"pub","Name":"` + long(31) + `"}`, 10004},
		{"Name of 11 CJK characters", `{"GroupId":"pub","Name":"` + strings.Repeat("群", 11) + `"}`, 10004},
		{"Name empty", `{"GroupId":"pub","Name":""}`, 10004},
		{"Introduction over 240 bytes", `{"GroupId":"pub","Introduction":"` + long(241) + `"}`, 10004},
		{"Notification over 300 bytes", `{"GroupId":"pub","Notification":"` + long(301) + `"}`, 10004},
		{"FaceUrl over 100 bytes", `{"GroupId":"pub","FaceUrl":"` + long(101) + `"}`, 10004},
		{"MaxMemberNum 0", `{"GroupId":"pub","MaxMemberNum":0}`, 10004},
		{"MaxMemberNum not a number", `{"GroupId":"pub","MaxMemberNum":"9"}`, 10004},
		{"ApplyJoinOption unknown", `{"GroupId":"pub","ApplyJoinOption":"Maybe"}`, 10004},
		{"ApplyJoinOption on a Community", `{"GroupId":"@TGS#_hub","ApplyJoinOption":"FreeAccess"}`, 10007},
		{"ApplyJoinOption on a Work group", `{"GroupId":"work","ApplyJoinOption":"FreeAccess"}`, 10007},
		{"MuteAllMember unknown", `{"GroupId":"pub","MuteAllMember":"Yes"}`, 10004},
		{"AppDefinedData bad key", `{"GroupId":"pub","AppDefinedData":[{"Key":"a-b","Value":"x"}]}`, 10004},
		{"AppDefinedData value over 512 bytes", `{"GroupId":"pub","AppDefinedData":[{"Key":"k","Value":"` + long(513) + `"}]}`, 10004},
		{"AppDefinedData past 10 keys", `{"GroupId":"pub","AppDefinedData":[` + kvList(10) + `]}`, 10004},
		{"GroupId missing", `{"Name":"x"}`, 10004},
		{"unknown group", `{"GroupId":"nope","Name":"x"}`, 10010},
		{"invalid group ID", `{"GroupId":"` + long(49) + `","Name":"x"}`, 10015},
	})
	t.Run("not an admin", func(t *testing.T) {
		ts.must(t, pathModifyGroup, `{"GroupId":"pub","Name":"x"}`, 60010, asUser("u_ana"))
	})
	t.Run("switched off", func(t *testing.T) {
		off := profileFixture(t, withApp(func(a *config.App) { a.Disabled = []string{"modify_group_base_info"} }))
		off.must(t, pathModifyGroup, `{"GroupId":"pub","Name":"x"}`, 10026)
	})
}

// kvList is n custom fields k0..k{n-1} as JSON list members (the group
// already has one key, Color, in TestModifyGroupBaseInfo).
func kvList(n int) string {
	var parts []string
	for i := range n {
		parts = append(parts, `{"Key":"k`+string(rune('a'+i))+`","Value":"v"}`)
	}
	return strings.Join(parts, ",")
}

func TestImportGroup(t *testing.T) {
	ts := newGroupServer(t)
	ts.importAccounts(t, "u_ana")
	created := ts.clock.Now().Unix() - 3600*24*365
	env := ts.must(t, pathImportGroup, jsonBody(t, map[string]any{"Owner_Account": "u_ana", "Type": "Private", "GroupId": "legacy_4411",
		"Name": "Ops Legacy", "CreateTime": created, "AppDefinedData": []map[string]string{{"Key": "k", "Value": "v"}}}), 0)
	sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "GroupId")
	wantEqual(t, "GroupId", env["GroupId"], "legacy_4411")
	g := ts.groupInfo(t, "legacy_4411")
	wantEqual(t, "imported", []any{g["Type"], g["Owner_Account"], num(t, g["CreateTime"]), num(t, g["MaxMemberNum"]), num(t, g["MemberNum"])},
		[]any{"Private", "u_ana", created, int64(2000), int64(1)})
	if m := list(t, g["MemberList"])[0]; num(t, m["JoinTime"]) != created || m["Role"] != "Owner" {
		t.Errorf("owner %v, want joined at the creation time", m)
	}
	// Imports are silent: only the owner's subscription changes.
	d := ts.events.takeOne(t, "MembersJoined", "")
	wantEqual(t, "subscribed", d.users, []string{"u_ana"})

	ids := map[string]bool{}
	for _, typ := range []string{"Public", "ChatRoom", "Meeting", "Work", "Community"} {
		env := ts.must(t, pathImportGroup, `{"Type":"`+typ+`","Name":"x"}`, 0)
		id := env["GroupId"].(string)
		if ids[id] || (typ == "Community") != strings.HasPrefix(id, "@TGS#_") {
			t.Errorf("%s: GroupId %q", typ, id)
		}
		ids[id] = true
		if g := ts.groupInfo(t, id); num(t, g["CreateTime"]) != ts.clock.Now().Unix() {
			t.Errorf("%s: CreateTime %v, want the request time", typ, g["CreateTime"])
		}
	}
	if got := ts.events.take(); len(got) != 0 {
		t.Errorf("ownerless imports delivered %+v", got)
	}

	ts.runCodes(t, pathImportGroup, []codeCase{
		{"AVChatRoom", `{"Type":"AVChatRoom","Name":"x"}`, 10007},
		{"ID in use", `{"Owner_Account":"u_ana","Type":"Public","GroupId":"legacy_4411","Name":"x"}`, 10021},
		{"CreateTime in the future", `{"Type":"Public","Name":"x","CreateTime":` + jsonBody(t, ts.clock.Now().Unix()+1) + `}`, 10004},
		{"CreateTime negative", `{"Type":"Public","Name":"x","CreateTime":-5}`, 10004},
		{"Name missing", `{"Type":"Public"}`, 10004},
		{"Type missing", `{"Name":"x"}`, 10004},
		{"Type unknown", `{"Type":"Club","Name":"x"}`, 10004},
		{"owner not imported", `{"Owner_Account":"ghost","Type":"Public","Name":"x"}`, 10019},
		{"custom ID with @TGS#", `{"Type":"Public","GroupId":"@TGS#x","Name":"x"}`, 10015},
		{"Community ID without @TGS#_", `{"Type":"Community","GroupId":"hub","Name":"x"}`, 10015},
		{"MaxMemberCount over the cap", `{"Type":"Public","GroupId":"big","Name":"x","MaxMemberCount":6001}`, 0},
		{"MaxMemberCount of a Community", `{"Type":"Community","GroupId":"@TGS#_big","Name":"x","MaxMemberCount":100000}`, 0},
	})
	if g := ts.groupInfo(t, "big"); num(t, g["MaxMemberNum"]) != 2000 {
		t.Errorf("MaxMemberCount over the cap: MaxMemberNum %v, want the default 2000", g["MaxMemberNum"])
	}
	if g := ts.groupInfo(t, "@TGS#_big"); num(t, g["MaxMemberNum"]) != 100000 {
		t.Errorf("Community: MaxMemberNum %v, want 100000", g["MaxMemberNum"])
	}
}

// TestLiveGroupMemberNum: an AVChatRoom's members are its online users
// (S2), so MemberNum is the room's count, as get_online_member_num says.
func TestLiveGroupMemberNum(t *testing.T) {
	ts := profileFixture(t)
	ts.rooms.set("live", 20)
	if g := ts.groupInfo(t, "live"); num(t, g["MemberNum"]) != 20 {
		t.Errorf("MemberNum %v, want 20", g["MemberNum"])
	}
	env := ts.must(t, pathOnlineNum, `{"GroupId":"live"}`, 0)
	wantEqual(t, "online count", num(t, env["OnlineMemberNum"]), int64(20))
}

func TestCommunityOnlineMemberNum(t *testing.T) {
	ts := profileFixture(t)
	ts.rooms.set("@TGS#_hub", 812)
	ts.rooms.set("live", 7)
	ts.rooms.set("pub", 1)
	for _, tt := range []struct {
		name, body string
		want       int
		online     int64
	}{
		{"community", `{"GroupId":"@TGS#_hub"}`, 0, 812},
		{"live group", `{"GroupId":"live"}`, 0, 7},
		{"public group", `{"GroupId":"pub"}`, 0, 1},
		{"nobody online", `{"GroupId":"work"}`, 0, 0},
		{"unknown group", `{"GroupId":"nope"}`, 10010, 0},
		{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `"}`, 10015, 0},
		{"GroupId missing", `{}`, 10004, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := ts.must(t, pathCommunityOnline, tt.body, tt.want)
			if tt.want == 0 {
				wantEqual(t, "OnlineMemberNum", num(t, env["OnlineMemberNum"]), tt.online)
			}
		})
	}
}

func TestDestroyGroupEvent(t *testing.T) {
	ts := profileFixture(t)
	ts.must(t, pathDestroy, `{"GroupId":"pub"}`, 0)
	d := ts.events.takeOne(t, "GroupDismissed", "GroupDismissed")
	wantEqual(t, "event", d.event, map[string]any{"Type": "GroupDismissed", "GroupId": "pub", "Operator_Account": testAdmin})
	ts.must(t, pathDestroy, `{"GroupId":"pub"}`, 10010)
	if got := ts.events.take(); len(got) != 0 {
		t.Errorf("a failed destroy delivered %+v", got)
	}
}

func TestCreateGroupEvent(t *testing.T) {
	ts := profileFixture(t)
	ts.createGroup(t, `{"Owner_Account":"u_ana","Type":"Public","GroupId":"new","Name":"New","MemberList":[{"Member_Account":"u_mei"}]}`)
	d := ts.events.takeOne(t, "MembersJoined", "GroupCreated")
	wantEqual(t, "joined", d.users, []string{"u_ana", "u_mei"})
	wantEqual(t, "event", d.event, map[string]any{"Type": "GroupCreated", "GroupId": "new", "Operator_Account": testAdmin,
		"GroupType": "Public", "Name": "New", "Owner_Account": "u_ana", "Members_Account": []any{"u_ana", "u_mei"}})
	// A Work group is invisible until its first message: members are
	// subscribed, told nothing.
	ts.createGroup(t, `{"Owner_Account":"u_ana","Type":"Work","Name":"W"}`)
	ts.events.takeOne(t, "MembersJoined", "")
	// A live group stores nobody.
	ts.createGroup(t, `{"Owner_Account":"u_ana","Type":"AVChatRoom","Name":"L"}`)
	if got := ts.events.take(); len(got) != 0 {
		t.Errorf("live group creation delivered %+v", got)
	}
}
