package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
)

// memberFixture: accounts u_ana (owner of everything), u_ravi, u_mei,
// u_tomas, u_zed; pub (Public: u_ana, u_ravi Admin, u_mei), work
// (Work: u_ana, u_mei), live (AVChatRoom), hub (Community: u_ana).
func memberFixture(t *testing.T, opts ...option) *groupServer {
	t.Helper()
	ts := newGroupServer(t, opts...)
	ts.importAccounts(t, "u_ana", "u_ravi", "u_mei", "u_tomas", "u_zed")
	for _, body := range []string{
		`{"Owner_Account":"u_ana","Type":"Public","GroupId":"pub","Name":"Pub","MemberList":[{"Member_Account":"u_ravi","Role":"Admin"},{"Member_Account":"u_mei"}]}`,
		`{"Owner_Account":"u_ana","Type":"Private","GroupId":"work","Name":"Work","MemberList":[{"Member_Account":"u_mei"}]}`,
		`{"Owner_Account":"u_ana","Type":"AVChatRoom","GroupId":"live","Name":"Live"}`,
		`{"Owner_Account":"u_ana","Type":"Community","GroupId":"@TGS#_hub","Name":"Hub"}`,
	} {
		ts.createGroup(t, body)
	}
	ts.events.take()
	return ts
}

// results reads a MemberList of {Member_Account, Result} as "id:result".
func results(t *testing.T, env map[string]any) []string {
	t.Helper()
	var out []string
	for _, r := range list(t, env["MemberList"]) {
		out = append(out, fmt.Sprintf("%s:%d", r["Member_Account"], num(t, r["Result"])))
	}
	return out
}

// memberList is a MemberList body of n new accounts prefix0..prefix{n-1}.
func memberList(ids []string) []map[string]string {
	out := make([]map[string]string, len(ids))
	for i, id := range ids {
		out[i] = map[string]string{"Member_Account": id}
	}
	return out
}

func TestAddGroupMember(t *testing.T) {
	ts := memberFixture(t)
	ts.clock.Advance(time.Minute)
	env := ts.must(t, pathAddMembers, `{"GroupId":"pub","MemberList":[{"Member_Account":"u_tomas"},{"Member_Account":"u_mei"},{"Member_Account":"u_tomas"}]}`, 0)
	sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "MemberList")
	wantEqual(t, "results", results(t, env), []string{"u_tomas:1", "u_mei:2", "u_tomas:1"})
	wantEqual(t, "roles", ts.roles(t, "pub", "u_tomas"), []string{"Member"})
	m := ts.member(t, "pub", "u_tomas")
	wantEqual(t, "new member", []any{num(t, m["JoinTime"]), m["MsgFlag"], num(t, m["MuteUntil"])},
		[]any{ts.clock.Now().Unix(), "AcceptAndNotify", int64(0)})
	if g := ts.groupInfo(t, "pub"); num(t, g["MemberNum"]) != 4 {
		t.Errorf("MemberNum %v, want 4", g["MemberNum"])
	}
	d := ts.events.takeOne(t, "MembersJoined", "MemberJoined")
	wantEqual(t, "joined", d.users, []string{"u_tomas"})
	wantEqual(t, "event", d.event, map[string]any{"Type": "MemberJoined", "GroupId": "pub", "Operator_Account": testAdmin, "Members_Account": []any{"u_tomas"}, "JoinType": "Invited"})

	t.Run("silently", func(t *testing.T) {
		ts.must(t, pathAddMembers, `{"GroupId":"pub","Silence":1,"MemberList":[{"Member_Account":"u_zed"}]}`, 0)
		d := ts.events.takeOne(t, "MembersJoined", "")
		wantEqual(t, "subscribed", d.users, []string{"u_zed"})
	})
	t.Run("an inactive Work group tells nobody", func(t *testing.T) {
		ts.must(t, pathAddMembers, `{"GroupId":"work","MemberList":[{"Member_Account":"u_zed"}]}`, 0)
		ts.events.takeOne(t, "MembersJoined", "")
	})
	t.Run("a Community", func(t *testing.T) {
		env := ts.must(t, pathAddMembers, `{"GroupId":"@TGS#_hub","MemberList":[{"Member_Account":"u_mei"}]}`, 0)
		wantEqual(t, "results", results(t, env), []string{"u_mei:1"})
		ts.events.take()
	})
	t.Run("nobody new", func(t *testing.T) {
		env := ts.must(t, pathAddMembers, `{"GroupId":"pub","MemberList":[{"Member_Account":"u_mei"}]}`, 0)
		wantEqual(t, "results", results(t, env), []string{"u_mei:2"})
		if got := ts.events.take(); len(got) != 0 {
			t.Errorf("events %+v, want none", got)
		}
	})

	many := ids("many", 301)
	ts.importAccounts(t, many[:100]...)
	ts.importAccounts(t, many[100:200]...)
	ts.importAccounts(t, many[200:300]...)
	ts.importAccounts(t, many[300:]...)
	ts.runCodes(t, pathAddMembers, []codeCase{
		{"301 users", jsonBody(t, map[string]any{"GroupId": "@TGS#_hub", "MemberList": memberList(many)}), 10005},
		{"AVChatRoom", `{"GroupId":"live","MemberList":[{"Member_Account":"u_mei"}]}`, 10007},
		{"account not imported", `{"GroupId":"pub","MemberList":[{"Member_Account":"u_mei"},{"Member_Account":"ghost"}]}`, 10019},
		{"MemberList empty", `{"GroupId":"pub","MemberList":[]}`, 10004},
		{"MemberList missing", `{"GroupId":"pub"}`, 10004},
		{"empty UserID", `{"GroupId":"pub","MemberList":[{"Member_Account":""}]}`, 10004},
		{"UserID not a string", `{"GroupId":"pub","MemberList":[{"Member_Account":7}]}`, 60015},
		{"Silence 2", `{"GroupId":"pub","Silence":2,"MemberList":[{"Member_Account":"u_mei"}]}`, 10004},
		{"unknown group", `{"GroupId":"nope","MemberList":[{"Member_Account":"u_mei"}]}`, 10010},
		{"invalid group ID", `{"GroupId":"bad\u0001","MemberList":[{"Member_Account":"u_mei"}]}`, 10015},
	})
	// 300 fit exactly into the Community (the batch limit, not over it).
	env = ts.must(t, pathAddMembers, jsonBody(t, map[string]any{"GroupId": "@TGS#_hub", "MemberList": memberList(many[:300])}), 0)
	if len(results(t, env)) != 300 {
		t.Errorf("300 users: %d results", len(results(t, env)))
	}
	t.Run("switched off", func(t *testing.T) {
		off := memberFixture(t, withApp(func(a *config.App) { a.Disabled = []string{"add_group_member"} }))
		off.must(t, pathAddMembers, `{"GroupId":"pub","MemberList":[{"Member_Account":"u_tomas"}]}`, 10026)
	})
}

// TestMemberLimits: the group's MaxMemberNum (10014 when a call cannot
// fit), the app's cap per type, and the per-user group limit (10037).
func TestMemberLimits(t *testing.T) {
	ts := memberFixture(t, withApp(func(a *config.App) {
		a.GroupMemberLimits = map[string]int{"Public": 4}
		a.JoinedGroupLimit = 3
	}))
	t.Run("the app's cap bounds MaxMemberCount", func(t *testing.T) {
		id := ts.createGroup(t, `{"Type":"Public","Name":"x","MaxMemberCount":10}`)
		if g := ts.groupInfo(t, id); num(t, g["MaxMemberNum"]) != 4 {
			t.Errorf("MaxMemberNum %v, want the app's cap 4", g["MaxMemberNum"])
		}
		ts.must(t, pathModifyGroup, `{"GroupId":"`+id+`","MaxMemberNum":99}`, 0)
		if g := ts.groupInfo(t, id); num(t, g["MaxMemberNum"]) != 4 {
			t.Errorf("after modify: MaxMemberNum %v, want 4", g["MaxMemberNum"])
		}
		ts.must(t, pathCreateGroup, `{"Type":"Public","Name":"x","MemberList":[{"Member_Account":"u_mei"},{"Member_Account":"u_ravi"},{"Member_Account":"u_tomas"},{"Member_Account":"u_zed"},{"Member_Account":"u_ana"}]}`, 10038)
	})
	ts.createGroup(t, `{"Type":"Public","GroupId":"small","Name":"Small","MaxMemberCount":3}`)
	t.Run("the group cannot take everybody", func(t *testing.T) {
		ts.must(t, pathAddMembers, `{"GroupId":"small","MemberList":[{"Member_Account":"u_mei"},{"Member_Account":"u_ravi"},{"Member_Account":"u_tomas"},{"Member_Account":"u_zed"}]}`, 10014)
		wantEqual(t, "nobody added", ts.roles(t, "small", "u_mei", "u_ravi", "u_tomas", "u_zed"), []string{"NotMember", "NotMember", "NotMember", "NotMember"})
		ts.must(t, pathAddMembers, `{"GroupId":"small","MemberList":[{"Member_Account":"u_tomas"},{"Member_Account":"u_zed"}]}`, 0)
		// Members already in do not count against the room left.
		env := ts.must(t, pathAddMembers, `{"GroupId":"small","MemberList":[{"Member_Account":"u_tomas"},{"Member_Account":"u_zed"},{"Member_Account":"u_ravi"}]}`, 0)
		wantEqual(t, "up to the cap", results(t, env), []string{"u_tomas:2", "u_zed:2", "u_ravi:1"})
		ts.must(t, pathAddMembers, `{"GroupId":"small","MemberList":[{"Member_Account":"u_mei"}]}`, 10014)
		ts.must(t, pathImportMembers, `{"GroupId":"small","MemberList":[{"Member_Account":"u_mei"}]}`, 10014)
	})
	t.Run("the per-user group limit", func(t *testing.T) {
		// u_mei is in pub and work; a third group is her last. u_ravi is in
		// pub and small.
		ts.createGroup(t, `{"Type":"Public","GroupId":"third","Name":"x"}`)
		ts.createGroup(t, `{"Type":"Public","GroupId":"fourth","Name":"x"}`)
		env := ts.must(t, pathAddMembers, `{"GroupId":"third","MemberList":[{"Member_Account":"u_mei"}]}`, 0)
		wantEqual(t, "third", results(t, env), []string{"u_mei:1"})
		env = ts.must(t, pathAddMembers, `{"GroupId":"fourth","MemberList":[{"Member_Account":"u_mei"},{"Member_Account":"u_ravi"}]}`, 0)
		wantEqual(t, "mixed: u_mei fails alone", results(t, env), []string{"u_mei:0", "u_ravi:1"})
		ts.must(t, pathAddMembers, `{"GroupId":"fourth","MemberList":[{"Member_Account":"u_mei"}]}`, 10037)
		ts.must(t, pathCreateGroup, `{"Owner_Account":"u_mei","Type":"Public","Name":"x"}`, 10037)
		env = ts.must(t, pathImportMembers, `{"GroupId":"fourth","MemberList":[{"Member_Account":"u_mei"},{"Member_Account":"u_zed"}]}`, 0)
		wantEqual(t, "import: u_mei fails alone", results(t, env), []string{"u_mei:0", "u_zed:1"})
	})
}

func TestDeleteGroupMember(t *testing.T) {
	ts := memberFixture(t)
	ts.must(t, pathAddMembers, `{"GroupId":"pub","MemberList":[{"Member_Account":"u_tomas"},{"Member_Account":"u_zed"}]}`, 0)
	ts.events.take()
	ts.must(t, pathDeleteMembers, `{"GroupId":"pub","Reason":"inactive for 90 days","MemberToDel_Account":["u_tomas","u_nobody"]}`, 0)
	wantEqual(t, "roles", ts.roles(t, "pub", "u_tomas", "u_zed"), []string{"NotMember", "Member"})
	d := ts.events.takeOne(t, "MembersLeft", "MemberKicked")
	wantEqual(t, "left", d.users, []string{"u_tomas"})
	wantEqual(t, "event", d.event, map[string]any{"Type": "MemberKicked", "GroupId": "pub", "Operator_Account": testAdmin,
		"Members_Account": []any{"u_tomas"}, "Reason": "inactive for 90 days"})
	if g := ts.groupInfo(t, "pub"); num(t, g["MemberNum"]) != 4 {
		t.Errorf("MemberNum %v, want 4", g["MemberNum"])
	}

	t.Run("silently: only the removed users are told", func(t *testing.T) {
		ts.must(t, pathDeleteMembers, `{"GroupId":"pub","Silence":1,"MemberToDel_Account":["u_zed"]}`, 0)
		got := ts.events.take()
		if len(got) != 2 || got[0].kind != "UsersEvent" || got[0].event["Type"] != "MemberKicked" || got[1].kind != "MembersLeft" || got[1].event != nil {
			t.Fatalf("deliveries %+v, want the kick to u_zed alone, then a silent leave", got)
		}
		wantEqual(t, "told", got[0].users, []string{"u_zed"})
	})
	t.Run("nobody was a member", func(t *testing.T) {
		ts.must(t, pathDeleteMembers, `{"GroupId":"pub","MemberToDel_Account":["u_zed"]}`, 0)
		if got := ts.events.take(); len(got) != 0 {
			t.Errorf("events %+v, want none", got)
		}
	})
	t.Run("the owner: the group becomes ownerless", func(t *testing.T) {
		ts.must(t, pathDeleteMembers, `{"GroupId":"pub","MemberToDel_Account":["u_ana"]}`, 0)
		if g := ts.groupInfo(t, "pub"); g["Owner_Account"] != "" {
			t.Errorf("Owner_Account %v, want \"\"", g["Owner_Account"])
		}
		ts.events.take()
	})

	ts.runCodes(t, pathDeleteMembers, []codeCase{
		{"101 users", jsonBody(t, map[string]any{"GroupId": "pub", "MemberToDel_Account": ids("u", 101)}), 10005},
		{"100 users", jsonBody(t, map[string]any{"GroupId": "pub", "MemberToDel_Account": ids("u", 100)}), 0},
		{"AVChatRoom", `{"GroupId":"live","MemberToDel_Account":["u_mei"]}`, 10004},
		{"list empty", `{"GroupId":"pub","MemberToDel_Account":[]}`, 10004},
		{"list missing", `{"GroupId":"pub"}`, 10004},
		{"Silence 2", `{"GroupId":"pub","Silence":2,"MemberToDel_Account":["u_mei"]}`, 10004},
		{"unknown group", `{"GroupId":"nope","MemberToDel_Account":["u_mei"]}`, 10010},
		{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `","MemberToDel_Account":["u_mei"]}`, 10015},
	})
}

func TestChangeGroupOwner(t *testing.T) {
	ts := memberFixture(t)
	ts.clock.Advance(time.Minute)
	ts.must(t, pathChangeOwner, `{"GroupId":"pub","NewOwner_Account":"u_mei"}`, 0)
	wantEqual(t, "roles", ts.roles(t, "pub", "u_ana", "u_ravi", "u_mei"), []string{"Member", "Admin", "Owner"})
	g := ts.groupInfo(t, "pub")
	wantEqual(t, "group", []any{g["Owner_Account"], num(t, g["InfoSeq"]), num(t, g["LastInfoTime"])}, []any{"u_mei", int64(1), ts.clock.Now().Unix()})
	d := ts.events.takeOne(t, "GroupEvent", "OwnerChanged")
	wantEqual(t, "event", d.event, map[string]any{"Type": "OwnerChanged", "GroupId": "pub", "Operator_Account": testAdmin,
		"Owner_Account": "u_mei", "PreviousOwner_Account": "u_ana"})

	t.Run("the same owner again", func(t *testing.T) {
		ts.must(t, pathChangeOwner, `{"GroupId":"pub","NewOwner_Account":"u_mei"}`, 0)
		if got := ts.events.take(); len(got) != 0 {
			t.Errorf("events %+v, want none", got)
		}
	})
	t.Run("an ownerless group gets one", func(t *testing.T) {
		ts.createGroup(t, `{"Type":"Community","GroupId":"@TGS#_free","Name":"x","MemberList":[{"Member_Account":"u_zed"}]}`)
		ts.must(t, pathChangeOwner, `{"GroupId":"@TGS#_free","NewOwner_Account":"u_zed"}`, 0)
		wantEqual(t, "role", ts.roles(t, "@TGS#_free", "u_zed"), []string{"Owner"})
		ts.events.take()
	})
	ts.runCodes(t, pathChangeOwner, []codeCase{
		{"Work group", `{"GroupId":"work","NewOwner_Account":"u_mei"}`, 0},
		{"not a member", `{"GroupId":"pub","NewOwner_Account":"u_tomas"}`, 10007},
		{"not an account", `{"GroupId":"pub","NewOwner_Account":"ghost"}`, 10007},
		{"AVChatRoom", `{"GroupId":"live","NewOwner_Account":"u_mei"}`, 10007},
		{"NewOwner_Account missing", `{"GroupId":"pub"}`, 10004},
		{"unknown group", `{"GroupId":"nope","NewOwner_Account":"u_mei"}`, 10010},
		{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `","NewOwner_Account":"u_mei"}`, 10015},
	})
}

func TestGetRoleInGroup(t *testing.T) {
	ts := memberFixture(t)
	env := ts.must(t, pathRoles, `{"GroupId":"pub","User_Account":["u_ana","u_mei","u_zed","u_ravi"]}`, 0)
	sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "UserIdList")
	wantEqual(t, "roles", list(t, env["UserIdList"]), []map[string]any{
		{"Member_Account": "u_ana", "Role": "Owner"}, {"Member_Account": "u_mei", "Role": "Member"},
		{"Member_Account": "u_zed", "Role": "NotMember"}, {"Member_Account": "u_ravi", "Role": "Admin"}})
	ts.runCodes(t, pathRoles, []codeCase{
		{"500 users", jsonBody(t, map[string]any{"GroupId": "pub", "User_Account": ids("u", 500)}), 0},
		{"501 users", jsonBody(t, map[string]any{"GroupId": "pub", "User_Account": ids("u", 501)}), 10005},
		{"AVChatRoom", `{"GroupId":"live","User_Account":["u_ana"]}`, 10007},
		{"list empty", `{"GroupId":"pub","User_Account":[]}`, 10004},
		{"unknown group", `{"GroupId":"nope","User_Account":["u_ana"]}`, 10010},
		{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `","User_Account":["u_ana"]}`, 10015},
	})
}

func TestImportGroupMember(t *testing.T) {
	ts := memberFixture(t)
	created := ts.clock.Now().Unix()
	ts.must(t, pathImportGroup, `{"Type":"Public","GroupId":"legacy","Name":"x","CreateTime":`+fmt.Sprint(created-1000)+`}`, 0)
	// Five messages, so unread counts have something to count.
	for i := range 5 {
		ts.must(t, pathSendGroupMsg, sendBody(t, "legacy", i, nil), 0)
	}
	ts.clock.Advance(time.Minute)
	now := ts.clock.Now().Unix()
	env := ts.must(t, pathImportMembers, jsonBody(t, map[string]any{"GroupId": "legacy", "MemberList": []map[string]any{
		{"Member_Account": "u_ravi", "Role": "Admin", "JoinTime": created - 500, "UnreadMsgNum": 4},
		{"Member_Account": "u_mei", "JoinTime": created - 400},
		{"Member_Account": "u_tomas", "JoinTime": created - 2000},
		{"Member_Account": "u_zed", "JoinTime": now + 1},
		{"Member_Account": "u_ana", "UnreadMsgNum": 99},
	}}), 0)
	wantEqual(t, "results", results(t, env), []string{"u_ravi:1", "u_mei:1", "u_tomas:0", "u_zed:0", "u_ana:1"})
	ravi, mei, ana := ts.member(t, "legacy", "u_ravi"), ts.member(t, "legacy", "u_mei"), ts.member(t, "legacy", "u_ana")
	wantEqual(t, "u_ravi", []any{ravi["Role"], num(t, ravi["JoinTime"]), num(t, ravi["MsgSeq"])}, []any{"Admin", created - 500, int64(1)})
	wantEqual(t, "u_mei", []any{mei["Role"], num(t, mei["JoinTime"]), num(t, mei["MsgSeq"])}, []any{"Member", created - 400, int64(5)})
	wantEqual(t, "u_ana: unread capped, joined now", []any{num(t, ana["JoinTime"]), num(t, ana["MsgSeq"])}, []any{now, int64(0)})
	d := ts.events.takeOne(t, "MembersJoined", "")
	wantEqual(t, "silent", d.users, []string{"u_ravi", "u_mei", "u_ana"})

	env = ts.must(t, pathImportMembers, `{"GroupId":"legacy","MemberList":[{"Member_Account":"u_mei"},{"Member_Account":"u_tomas"}]}`, 0)
	wantEqual(t, "again", results(t, env), []string{"u_mei:2", "u_tomas:1"})

	many := ids("many", 301)
	ts.runCodes(t, pathImportMembers, []codeCase{
		{"301 entries", jsonBody(t, map[string]any{"GroupId": "legacy", "MemberList": memberList(many)}), 10005},
		{"AVChatRoom", `{"GroupId":"live","MemberList":[{"Member_Account":"u_mei"}]}`, 10007},
		{"Owner role", `{"GroupId":"legacy","MemberList":[{"Member_Account":"u_zed","Role":"Owner"}]}`, 10004},
		{"Admin in a Work group", `{"GroupId":"work","MemberList":[{"Member_Account":"u_zed","Role":"Admin"}]}`, 10004},
		{"negative unread", `{"GroupId":"legacy","MemberList":[{"Member_Account":"u_zed","UnreadMsgNum":-1}]}`, 10004},
		{"account not imported", `{"GroupId":"legacy","MemberList":[{"Member_Account":"ghost"}]}`, 10019},
		{"unknown group", `{"GroupId":"nope","MemberList":[{"Member_Account":"u_zed"}]}`, 10010},
		{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `","MemberList":[{"Member_Account":"u_zed"}]}`, 10015},
	})
	t.Run("called too often", func(t *testing.T) {
		limited := memberFixture(t, withApp(func(a *config.App) {
			a.RateLimits = map[string]int{"v4/group_open_http_svc/import_group_member": 1}
		}))
		limited.must(t, pathImportMembers, `{"GroupId":"pub","MemberList":[{"Member_Account":"u_zed"}]}`, 0)
		limited.must(t, pathImportMembers, `{"GroupId":"pub","MemberList":[{"Member_Account":"u_tomas"}]}`, 10006)
	})
}
