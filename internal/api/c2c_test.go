package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/im"
)

// One-to-one REST paths.
const (
	pathSendMsg      = "/v4/openim/sendmsg"
	pathBatchSendMsg = "/v4/openim/batchsendmsg"
	pathImportMsg    = "/v4/openim/importmsg"
	pathRoamMsg      = "/v4/openim/admin_getroammsg"
	pathMsgWithdraw  = "/v4/openim/admin_msgwithdraw"
	pathModifyC2C    = "/v4/openim/modify_c2c_msg"
	pathSetMsgRead   = "/v4/openim/admin_set_msg_read"
	pathUnreadNum    = "/v4/openim/get_c2c_unread_msg_num"
)

// c2cFixture serves the message commands with accounts alice, bob, carol
// and dave.
func c2cFixture(t *testing.T) (*testServer, *pushRecorder) {
	t.Helper()
	ts, rec := newMessageServer(t)
	ts.importAccounts(t, "alice", "bob", "carol", "dave")
	return ts, rec
}

// withFields is body with fields overridden (or removed with absent).
func withFields(body map[string]any, fields map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		out[k] = v
	}
	for k, v := range fields {
		if v == absent {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// overlay is a copy of base with fields set over it, absent markers
// included, for withFields to apply later.
func mergeFields(base, fields map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range []map[string]any{base, fields} {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// sendMsgBody is a sendmsg body alice -> bob with a text, fields overridden.
func sendMsgBody(t *testing.T, fields map[string]any) string {
	t.Helper()
	return jsonBody(t, withFields(map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgRandom": 1, "MsgBody": textBody("hi")}, fields))
}

// sendC2C sends text from -> to through sendmsg and returns its MsgKey.
func (ts *testServer) sendC2C(t *testing.T, from, to, text string, fields map[string]any) string {
	t.Helper()
	body := withFields(map[string]any{"From_Account": from, "To_Account": to, "MsgRandom": len(text), "MsgBody": textBody(text)}, fields)
	env := ts.must(t, pathSendMsg, jsonBody(t, body), 0)
	return env["MsgKey"].(string)
}

// padded is a sendmsg body of exactly n bytes.
func padded(t *testing.T, n int) string {
	t.Helper()
	base := sendMsgBody(t, map[string]any{"CloudCustomData": ""})
	return strings.Replace(base, `"CloudCustomData":""`, `"CloudCustomData":"`+strings.Repeat("x", n-len(base))+`"`, 1)
}

func TestSendMsgChecks(t *testing.T) {
	ts, _ := c2cFixture(t)
	elem := func(typ string, content any) []any {
		return []any{map[string]any{"MsgType": typ, "MsgContent": content}}
	}
	tests := []struct {
		name   string
		fields map[string]any
		want   int
	}{
		{"text", nil, 0},
		{"from the admin without From_Account", map[string]any{"From_Account": absent}, 0},
		{"every option", map[string]any{"SyncOtherMachine": 1, "MsgLifeTime": 60, "MsgSeq": 5, "MsgTimeStamp": 1, "CloudCustomData": "cd",
			"SendMsgControl": []string{"NoUnread", "NoLastMsg", "WithMuteNotifications"}, "ForbidCallbackControl": []string{"ForbidBeforeSendMsgCallback"},
			"SupportMessageExtension": 1, "IsNeedReadReceipt": 1, "OfflinePushInfo": map[string]any{"PushFlag": 0, "Desc": "d", "ApnsInfo": map[string]any{"New": 1}}}, 0},
		{"SyncOtherMachine 2", map[string]any{"SyncOtherMachine": 2}, 0},
		{"online only", map[string]any{"OnlineOnlyFlag": 1}, 0},
		{"MsgLifeTime over 7 days is clamped", map[string]any{"MsgLifeTime": 10 * 604800}, 0},

		{"To_Account missing", map[string]any{"To_Account": absent}, 90003},
		{"To_Account empty", map[string]any{"To_Account": ""}, 90003},
		{"To_Account a number", map[string]any{"To_Account": 5}, 90003},
		{"To_Account not imported", map[string]any{"To_Account": "ghost"}, 90012},
		{"From_Account not imported", map[string]any{"From_Account": "ghost"}, 20003},
		{"From_Account a number", map[string]any{"From_Account": 5}, 90008},
		{"MsgRandom missing", map[string]any{"MsgRandom": absent}, 90005},
		{"MsgRandom negative", map[string]any{"MsgRandom": -1}, 90005},
		{"MsgRandom over 32 bits", map[string]any{"MsgRandom": int64(1) << 32}, 90005},
		{"MsgRandom a string", map[string]any{"MsgRandom": "1"}, 90005},
		{"MsgSeq a fraction", map[string]any{"MsgSeq": 1.5}, 90004},
		{"MsgSeq over 32 bits", map[string]any{"MsgSeq": int64(1) << 32}, 90004},
		{"MsgBody missing", map[string]any{"MsgBody": absent}, 90007},
		{"MsgBody an object", map[string]any{"MsgBody": textBody("x")[0]}, 90007},
		{"MsgBody empty", map[string]any{"MsgBody": []any{}}, 90002},
		{"MsgType a number", map[string]any{"MsgBody": []any{map[string]any{"MsgType": 1, "MsgContent": map[string]any{}}}}, 90002},
		{"unknown MsgType", map[string]any{"MsgBody": elem("TIMMagicElem", map[string]any{})}, 90002},
		{"Text missing", map[string]any{"MsgBody": elem("TIMTextElem", map[string]any{})}, 90002},
		{"two custom elements", map[string]any{"MsgBody": append(elem("TIMCustomElem", map[string]any{}), elem("TIMCustomElem", map[string]any{})...)}, 90002},
		{"SyncOtherMachine a string", map[string]any{"SyncOtherMachine": "1"}, 90031},
		{"SyncOtherMachine 3", map[string]any{"SyncOtherMachine": 3}, 90031},
		{"MsgLifeTime a string", map[string]any{"MsgLifeTime": "60"}, 90044},
		{"MsgLifeTime negative", map[string]any{"MsgLifeTime": -1}, 90026},
		{"MsgTimeStamp a string", map[string]any{"MsgTimeStamp": "1"}, 90006},
		{"OfflinePushInfo a string", map[string]any{"OfflinePushInfo": "push"}, 90043},
		{"SendMsgControl unknown", map[string]any{"SendMsgControl": []string{"NoPush"}}, 20001},
		{"OnlineOnlyFlag a string", map[string]any{"OnlineOnlyFlag": "1"}, 20001},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := mergeFields(map[string]any{"MsgRandom": 100 + i}, tt.fields)
			ts.must(t, pathSendMsg, sendMsgBody(t, fields), tt.want)
		})
	}
	t.Run("whole body at 12 KB", func(t *testing.T) {
		ts.must(t, pathSendMsg, padded(t, 12<<10), 0)
	})
	t.Run("whole body over 12 KB", func(t *testing.T) {
		ts.must(t, pathSendMsg, padded(t, 12<<10+1), 93000)
	})
	t.Run("body not JSON", func(t *testing.T) {
		ts.must(t, pathSendMsg, `{"To_Account":"bob",`, 60003)
	})
}

func TestSendMsgDelivery(t *testing.T) {
	ts, rec := c2cFixture(t)
	env := ts.must(t, pathSendMsg, sendMsgBody(t, map[string]any{"MsgSeq": 77, "MsgRandom": 88, "SyncOtherMachine": 1, "CloudCustomData": "cd"}), 0)
	sameKeys(t, "sendmsg reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "MsgTime", "MsgKey")
	at := ts.clock.Now().Unix()
	if key := fmt.Sprintf("77_88_%d", at); env["MsgKey"] != key || num(t, env["MsgTime"]) != at {
		t.Fatalf("reply %v, want MsgKey %s", env, key)
	}
	pushes := rec.take()
	if len(pushes) != 2 || pushes[0].to != "bob" || pushes[1].to != "alice" || pushes[0].push.Seq != 1 || pushes[1].push.Seq != 1 {
		t.Fatalf("pushes %+v, want bob's and alice's first entries", pushes)
	}
	for _, p := range pushes {
		if p.event["Type"] != "C2CMsg" || p.event["MsgKey"] != env["MsgKey"] || p.event["CloudCustomData"] != "cd" {
			t.Errorf("event %v", p.event)
		}
	}
	t.Run("without SyncOtherMachine only the recipient", func(t *testing.T) {
		ts.sendC2C(t, "alice", "bob", "plain", nil)
		if p := rec.take(); len(p) != 1 || p[0].to != "bob" {
			t.Errorf("pushes %+v", p)
		}
	})
	t.Run("the admin's message", func(t *testing.T) {
		ts.must(t, pathSendMsg, sendMsgBody(t, map[string]any{"From_Account": absent, "MsgRandom": 5}), 0)
		if p := rec.take(); len(p) != 1 || p[0].to != "bob" || p[0].event["From_Account"] != testAdmin {
			t.Errorf("pushes %+v", p)
		}
	})
	t.Run("a duplicate is stored and pushed once", func(t *testing.T) {
		ts.clock.Advance(time.Second)
		body := sendMsgBody(t, map[string]any{"MsgSeq": 9, "MsgRandom": 9})
		first := ts.must(t, pathSendMsg, body, 0)
		rec.take()
		ts.clock.Advance(time.Minute)
		again := ts.must(t, pathSendMsg, body, 0)
		if again["MsgKey"] != first["MsgKey"] || again["MsgTime"] != first["MsgTime"] {
			t.Errorf("resend: %v, want the original's key and time %v", again, first)
		}
		if p := rec.take(); len(p) != 0 {
			t.Errorf("pushed again: %+v", p)
		}
	})
}

func TestBatchSendMsg(t *testing.T) {
	ts, rec := c2cFixture(t)
	body := func(fields map[string]any) string {
		return jsonBody(t, withFields(map[string]any{"From_Account": "alice", "To_Account": []string{"bob", "carol"}, "MsgRandom": 1, "MsgBody": textBody("notice")}, fields))
	}
	t.Run("all delivered", func(t *testing.T) {
		env := ts.must(t, pathBatchSendMsg, body(nil), 0)
		sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "MsgKey")
		pushes := rec.take()
		if len(pushes) != 2 || pushes[0].to != "bob" || pushes[1].to != "carol" {
			t.Fatalf("pushes %+v", pushes)
		}
		for _, p := range pushes {
			if p.event["MsgKey"] != env["MsgKey"] || p.event["To_Account"] != p.to {
				t.Errorf("copy %v: not the shared MsgKey %v", p.event, env["MsgKey"])
			}
		}
	})
	t.Run("some failed", func(t *testing.T) {
		env, status := ts.call(t, pathBatchSendMsg, body(map[string]any{"MsgRandom": 2, "To_Account": []string{"ghost", "bob", "bob", "nobody", "dave"}}))
		if status != 200 || env["ActionStatus"] != "SomeError" || num(t, env["ErrorCode"]) != 0 || env["ErrorInfo"] != "" || env["MsgKey"] == "" {
			t.Fatalf("reply %v, want SomeError with ErrorCode 0 and a MsgKey", env)
		}
		errs := list(t, env["ErrorList"])
		if len(errs) != 2 || errs[0]["To_Account"] != "ghost" || num(t, errs[0]["ErrorCode"]) != 70107 || errs[1]["To_Account"] != "nobody" {
			t.Errorf("ErrorList %v, want ghost and nobody with 70107", errs)
		}
		if p := rec.take(); len(p) != 2 {
			t.Errorf("%d pushes, want one each to bob (listed twice) and dave", len(p))
		}
	})
	tests := []struct {
		name   string
		fields map[string]any
		want   int
	}{
		{"no recipient is an account", map[string]any{"To_Account": []string{"ghost"}}, 90012},
		{"500 recipients", map[string]any{"To_Account": slices.Repeat([]string{"bob"}, 500)}, 0},
		{"501 recipients", map[string]any{"To_Account": slices.Repeat([]string{"bob"}, 501)}, 90011},
		{"To_Account missing", map[string]any{"To_Account": absent}, 90028},
		{"To_Account a string", map[string]any{"To_Account": "bob"}, 90028},
		{"To_Account empty", map[string]any{"To_Account": []string{}}, 90029},
		{"From_Account empty", map[string]any{"From_Account": ""}, 90008},
		{"From_Account not imported", map[string]any{"From_Account": "ghost"}, 90008},
		{"the admin without From_Account", map[string]any{"From_Account": absent}, 0},
		{"MsgRandom missing", map[string]any{"MsgRandom": absent}, 90005},
		{"MsgSeq negative", map[string]any{"MsgSeq": -1}, 90004},
		{"MsgBody a string", map[string]any{"MsgBody": "hi"}, 90007},
		{"MsgBody malformed", map[string]any{"MsgBody": []any{map[string]any{"MsgType": "TIMTextElem"}}}, 90002},
		{"MsgLifeTime negative", map[string]any{"MsgLifeTime": -5}, 90026},
		{"online only", map[string]any{"OnlineOnlyFlag": 1}, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.must(t, pathBatchSendMsg, body(mergeFields(map[string]any{"MsgRandom": 10 + i}, tt.fields)), tt.want)
		})
	}
	t.Run("whole body over 12 KB", func(t *testing.T) {
		ts.must(t, pathBatchSendMsg, body(map[string]any{"CloudCustomData": strings.Repeat("x", 12<<10)}), 93000)
	})
}

// TestBatchSendMsgQuota: 12,000 recipient-messages a minute, each
// recipient one; the call that would go over takes none.
func TestBatchSendMsgQuota(t *testing.T) {
	ts, _ := c2cFixture(t)
	batch := func(to []string) string {
		return jsonBody(t, map[string]any{"To_Account": to, "MsgRandom": 1, "MsgBody": textBody("q")})
	}
	for range 12000 / 500 {
		ts.must(t, pathBatchSendMsg, batch(ids("q", 500)), 90012)
	}
	ts.must(t, pathBatchSendMsg, batch([]string{"bob"}), 90057)
	ts.clock.Advance(time.Second) // 200 recipients more
	ts.must(t, pathBatchSendMsg, batch(ids("r", 201)), 90057)
	ts.must(t, pathBatchSendMsg, batch(ids("r", 200)), 90012)
	ts.must(t, pathBatchSendMsg, batch([]string{"bob"}), 90057)
}

func TestImportMsg(t *testing.T) {
	ts, rec := c2cFixture(t)
	body := func(fields map[string]any) string {
		return jsonBody(t, withFields(map[string]any{"SyncFromOldSystem": 2, "From_Account": "alice", "To_Account": "bob",
			"MsgSeq": 31, "MsgRandom": 8120045, "MsgTimeStamp": 1690000100, "MsgBody": textBody("archived hello")}, fields))
	}
	unread := func(user, peer string) int64 {
		t.Helper()
		env := ts.must(t, pathUnreadNum, jsonBody(t, map[string]any{"To_Account": user, "Peer_Account": []string{peer}}), 0)
		return num(t, list(t, env["C2CUnreadMsgNumList"])[0]["C2CUnreadMsgNum"])
	}
	t.Run("history: stored, not pushed, not unread", func(t *testing.T) {
		env := ts.must(t, pathImportMsg, body(nil), 0)
		sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId")
		if p := rec.take(); len(p) != 0 {
			t.Errorf("pushed %+v", p)
		}
		msgs := roam(t, ts, "bob", "alice", nil)
		if len(msgs) != 1 || msgs[0]["MsgKey"] != "31_8120045_1690000100" || num(t, msgs[0]["MsgTimeStamp"]) != 1690000100 {
			t.Fatalf("history %v", msgs)
		}
		if n := unread("bob", "alice"); n != 0 {
			t.Errorf("unread %d, want 0", n)
		}
	})
	t.Run("the first import of a key stays", func(t *testing.T) {
		ts.must(t, pathImportMsg, body(map[string]any{"From_Account": "bob", "To_Account": "alice", "MsgBody": textBody("other")}), 0)
		ts.must(t, pathImportMsg, body(map[string]any{"SyncFromOldSystem": 5, "CloudCustomData": "x"}), 0)
		msgs := roam(t, ts, "alice", "bob", nil)
		if len(msgs) != 1 || msgs[0]["From_Account"] != "alice" || msgs[0]["CloudCustomData"] != "" {
			t.Errorf("history %v, want the first import only", msgs)
		}
		if p := rec.take(); len(p) != 0 {
			t.Errorf("a duplicate was pushed: %+v", p)
		}
	})
	t.Run("real time: pushed to both sides and unread", func(t *testing.T) {
		ts.must(t, pathImportMsg, body(map[string]any{"SyncFromOldSystem": 5, "MsgSeq": 32}), 0)
		pushes := rec.take()
		if len(pushes) != 2 || pushes[0].to != "bob" || pushes[1].to != "alice" || pushes[0].event["MsgKey"] != "32_8120045_1690000100" {
			t.Fatalf("pushes %+v", pushes)
		}
		if n := unread("bob", "alice"); n != 1 {
			t.Errorf("unread %d, want 1", n)
		}
	})
	tests := []struct {
		name   string
		fields map[string]any
		want   int
	}{
		{"no MsgSeq", map[string]any{"MsgSeq": absent, "MsgRandom": 1}, 0},
		{"SyncFromOldSystem missing", map[string]any{"SyncFromOldSystem": absent}, 90030},
		{"SyncFromOldSystem 3", map[string]any{"SyncFromOldSystem": 3}, 90030},
		{"SyncFromOldSystem a string", map[string]any{"SyncFromOldSystem": "2"}, 90030},
		{"From_Account missing", map[string]any{"From_Account": absent}, 90008},
		{"From_Account not imported", map[string]any{"From_Account": "ghost"}, 90008},
		{"To_Account missing", map[string]any{"To_Account": absent}, 90003},
		{"To_Account a number", map[string]any{"To_Account": 1}, 90003},
		{"To_Account not imported", map[string]any{"To_Account": "ghost"}, 90012},
		{"MsgRandom missing", map[string]any{"MsgRandom": absent}, 90005},
		{"MsgTimeStamp missing", map[string]any{"MsgTimeStamp": absent}, 90006},
		{"MsgTimeStamp a string", map[string]any{"MsgTimeStamp": "1690000100"}, 90006},
		{"MsgTimeStamp negative", map[string]any{"MsgTimeStamp": -1}, 90006},
		{"MsgSeq a string", map[string]any{"MsgSeq": "1"}, 90004},
		{"MsgBody missing", map[string]any{"MsgBody": absent}, 90007},
		{"MsgBody malformed", map[string]any{"MsgBody": []any{"x"}}, 90007},
		{"element malformed", map[string]any{"MsgBody": []any{map[string]any{"MsgType": "TIMFaceElem", "MsgContent": map[string]any{}}}}, 90002},
		{"whole body over 12 KB", map[string]any{"CloudCustomData": strings.Repeat("x", 12<<10)}, 93000},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.must(t, pathImportMsg, body(mergeFields(map[string]any{"MsgSeq": 1000 + i}, tt.fields)), tt.want)
		})
	}
}

// roam pulls owner's whole side of the conversation with peer through
// admin_getroammsg (one page of up to 100), fields overriding the request.
func roam(t *testing.T, ts *testServer, owner, peer string, fields map[string]any) []map[string]any {
	t.Helper()
	env := ts.must(t, pathRoamMsg, jsonBody(t, withFields(map[string]any{"Operator_Account": owner, "Peer_Account": peer,
		"MaxCnt": 100, "MinTime": 0, "MaxTime": int64(4e9)}, fields)), 0)
	return list(t, env["MsgList"])
}

// userStream is what a user's stream holds now, as raw payloads.
func (ts *testServer) userStream(t *testing.T, user string) []json.RawMessage {
	t.Helper()
	evs, _, err := ts.db.ListUserEvents(t.Context(), testAppID, user, 0, ts.clock.Now().Unix(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []json.RawMessage
	for _, e := range evs {
		out = append(out, e.Payload)
	}
	return out
}

// keyOf splits a MsgKey the server made.
func keyOf(t *testing.T, key string) (seq, random uint32, at int64) {
	t.Helper()
	seq, random, at, ok := im.ParseMsgKey(key)
	if !ok {
		t.Fatalf("MsgKey %q", key)
	}
	return seq, random, at
}
