package api_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// mutes reads MutedAccountList (or the legacy ShuttedUinList) as
// "id:until".
func mutes(t *testing.T, env map[string]any, listName, untilName string) []string {
	t.Helper()
	out := []string{}
	for _, m := range list(t, env[listName]) {
		out = append(out, m["Member_Account"].(string)+":"+itoa(num(t, m[untilName])))
	}
	return out
}

func TestForbidSendMsg(t *testing.T) {
	ts := memberFixture(t)
	now := ts.clock.Now().Unix()
	ts.must(t, pathForbidSend, `{"GroupId":"pub","Members_Account":["u_mei","u_ravi"],"MuteTime":600}`, 0)
	d := ts.events.takeOne(t, "GroupEvent", "MembersMuted")
	wantEqual(t, "event", d.event, map[string]any{"Type": "MembersMuted", "GroupId": "pub", "Operator_Account": testAdmin,
		"MutedAccountList": []any{map[string]any{"Member_Account": "u_mei", "MutedUntil": float64(now + 600)},
			map[string]any{"Member_Account": "u_ravi", "MutedUntil": float64(now + 600)}}})
	wantEqual(t, "member's MuteUntil", num(t, ts.member(t, "pub", "u_mei")["MuteUntil"]), now+600)

	env := ts.must(t, pathMuted, `{"GroupId":"pub"}`, 0)
	sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "GroupId", "MutedAccountList")
	wantEqual(t, "muted", env["GroupId"], "pub")
	wantEqual(t, "muted by UserID", mutes(t, env, "MutedAccountList", "MutedUntil"), []string{"u_mei:" + itoa(now+600), "u_ravi:" + itoa(now+600)})
	env = ts.must(t, pathShutted, `{"GroupId":"pub"}`, 0)
	sameKeys(t, "legacy reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "GroupId", "ShuttedUinList")
	wantEqual(t, "legacy names", mutes(t, env, "ShuttedUinList", "ShuttedUntil"), []string{"u_mei:" + itoa(now+600), "u_ravi:" + itoa(now+600)})

	t.Run("unmute with the legacy ShutUpTime", func(t *testing.T) {
		ts.must(t, pathForbidSend, `{"GroupId":"pub","Members_Account":["u_ravi"],"ShutUpTime":0}`, 0)
		env := ts.must(t, pathMuted, `{"GroupId":"pub"}`, 0)
		wantEqual(t, "muted", mutes(t, env, "MutedAccountList", "MutedUntil"), []string{"u_mei:" + itoa(now+600)})
		d := ts.events.takeOne(t, "GroupEvent", "MembersMuted")
		wantEqual(t, "unmute event", d.event["MutedAccountList"], []any{map[string]any{"Member_Account": "u_ravi", "MutedUntil": 0.0}})
	})
	t.Run("a mute ends by itself", func(t *testing.T) {
		ts.clock.Advance(599 * time.Second)
		if got := list(t, ts.must(t, pathMuted, `{"GroupId":"pub"}`, 0)["MutedAccountList"]); len(got) != 1 {
			t.Errorf("after 599 s: %v", got)
		}
		ts.clock.Advance(time.Second)
		if got := list(t, ts.must(t, pathMuted, `{"GroupId":"pub"}`, 0)["MutedAccountList"]); len(got) != 0 {
			t.Errorf("after 600 s: %v, want none", got)
		}
		wantEqual(t, "member's MuteUntil", num(t, ts.member(t, "pub", "u_mei")["MuteUntil"]), int64(0))
	})
	t.Run("permanent", func(t *testing.T) {
		ts.must(t, pathForbidSend, `{"GroupId":"pub","Members_Account":["u_mei"],"MuteTime":4294967295}`, 0)
		ts.clock.Advance(100 * 24 * time.Hour) // the test UserSig lasts 180 days
		if got := list(t, ts.must(t, pathMuted, `{"GroupId":"pub"}`, 0)["MutedAccountList"]); len(got) != 1 {
			t.Errorf("100 days later: %v, want u_mei still muted", got)
		}
		ts.must(t, pathForbidSend, `{"GroupId":"pub","Members_Account":["u_mei"],"MuteTime":0}`, 0)
		ts.events.take()
	})
	t.Run("a mute survives leaving and rejoining", func(t *testing.T) {
		ts.must(t, pathForbidSend, `{"GroupId":"pub","Members_Account":["u_mei","u_tomas"],"MuteTime":60}`, 0)
		until := ts.clock.Now().Unix() + 60
		ts.must(t, pathDeleteMembers, `{"GroupId":"pub","MemberToDel_Account":["u_mei"]}`, 0)
		ts.must(t, pathAddMembers, `{"GroupId":"pub","MemberList":[{"Member_Account":"u_mei"},{"Member_Account":"u_tomas"}]}`, 0)
		for _, id := range []string{"u_mei", "u_tomas"} {
			wantEqual(t, id+" muted on joining", num(t, ts.member(t, "pub", id)["MuteUntil"]), until)
		}
		ts.events.take()
	})
	t.Run("live groups are muted too", func(t *testing.T) {
		ts.must(t, pathForbidSend, `{"GroupId":"live","Members_Account":["viewer"],"MuteTime":60}`, 0)
		env := ts.must(t, pathMuted, `{"GroupId":"live"}`, 0)
		wantEqual(t, "muted", accounts(t, env["MutedAccountList"]), []string{"viewer"})
		ts.events.takeOne(t, "GroupEvent", "MembersMuted")
	})

	ts.runCodes(t, pathForbidSend, []codeCase{
		{"500 users", jsonBody(t, map[string]any{"GroupId": "pub", "Members_Account": ids("u", 500), "MuteTime": 1}), 0},
		{"501 users", jsonBody(t, map[string]any{"GroupId": "pub", "Members_Account": ids("u", 501), "MuteTime": 1}), 10005},
		{"Work group", `{"GroupId":"work","Members_Account":["u_mei"],"MuteTime":60}`, 10007},
		{"MuteTime missing", `{"GroupId":"pub","Members_Account":["u_mei"]}`, 10004},
		{"MuteTime negative", `{"GroupId":"pub","Members_Account":["u_mei"],"MuteTime":-1}`, 10004},
		{"MuteTime over 32 bits", `{"GroupId":"pub","Members_Account":["u_mei"],"MuteTime":4294967296}`, 10004},
		{"Members_Account empty", `{"GroupId":"pub","Members_Account":[],"MuteTime":60}`, 10004},
		{"Members_Account not strings", `{"GroupId":"pub","Members_Account":[1],"MuteTime":60}`, 60015},
		{"TopicId of a group without topics", `{"GroupId":"pub","Members_Account":["u_mei"],"MuteTime":60,"TopicId":"pub@TOPIC#_x"}`, 10007},
		{"unknown group", `{"GroupId":"nope","Members_Account":["u_mei"],"MuteTime":60}`, 10010},
		{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `","Members_Account":["u_mei"],"MuteTime":60}`, 10015},
	})
	for _, path := range []string{pathMuted, pathShutted} {
		ts.runCodes(t, path, []codeCase{
			{"Work group", `{"GroupId":"work"}`, 0},
			{"TopicId of a group without topics", `{"GroupId":"pub","TopicId":"pub@TOPIC#_x"}`, 10007},
			{"GroupId missing", `{}`, 10004},
			{"unknown group", `{"GroupId":"nope"}`, 10010},
			{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `"}`, 10015},
		})
	}
}

// TestMutedMemberCannotSend: a muted member's sends are refused with
// 10017 until the mute ends.
func TestMutedMemberCannotSend(t *testing.T) {
	ts := memberFixture(t)
	ts.must(t, pathForbidSend, `{"GroupId":"pub","Members_Account":["u_mei"],"MuteTime":30}`, 0)
	ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 1, map[string]any{"From_Account": "u_mei"}), 10017)
	ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 2, map[string]any{"From_Account": "u_ravi"}), 0)
	ts.clock.Advance(29 * time.Second)
	ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 3, map[string]any{"From_Account": "u_mei"}), 10017)
	ts.clock.Advance(time.Second)
	ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 4, map[string]any{"From_Account": "u_mei"}), 0)

	ts.must(t, pathModifyMember, `{"GroupId":"pub","Member_Account":"u_mei","MuteTime":5}`, 0)
	ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 5, map[string]any{"From_Account": "u_mei"}), 10017)
	ts.clock.Advance(5 * time.Second)
	ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 6, map[string]any{"From_Account": "u_mei"}), 0)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
