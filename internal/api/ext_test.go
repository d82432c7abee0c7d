package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
)

const (
	pathExtGet      = "/v4/openim_msg_ext_http_svc/get_key_values"
	pathExtSet      = "/v4/openim_msg_ext_http_svc/set_key_values"
	pathGroupExtGet = "/v4/openim_msg_ext_http_svc/group_get_key_values"
	pathGroupExtSet = "/v4/openim_msg_ext_http_svc/group_set_key_values"
	pathExtSendC2C  = "/v4/openim/sendmsg"
)

// extKind is one of the two message kinds extensions attach to: its two
// paths and the fields that name its message.
type extKind struct {
	name     string
	get, set string
	msg      map[string]any // the message sent with extension support
	plain    map[string]any // a message sent without it
}

// extFields is the kind's message fields plus more.
func extFields(msg map[string]any, more map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range msg {
		out[k] = v
	}
	for k, v := range more {
		if v == absent {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// extFixture serves the message commands with accounts alice, bob and
// carol; a one-to-one message alice -> bob and a message in Public group
// "pub" (alice, bob) with extension support, and one of each without;
// an AVChatRoom "live" and a Community "@TGS#_hub". It returns the two
// kinds with their messages.
func extFixture(t *testing.T, opts ...option) (*testServer, *pushRecorder, []extKind) {
	t.Helper()
	ts, rec := newMessageServer(t, opts...)
	ts.importAccounts(t, "alice", "bob", "carol")
	ts.createGroup(t, `{"Owner_Account":"alice","Type":"Public","GroupId":"pub","Name":"Pub","MemberList":[{"Member_Account":"bob"}]}`)
	ts.createGroup(t, `{"Owner_Account":"alice","Type":"AVChatRoom","GroupId":"live","Name":"Live"}`)
	ts.createGroup(t, `{"Owner_Account":"alice","Type":"Community","GroupId":"@TGS#_hub","Name":"Hub"}`)
	c2c := func(ext int) map[string]any {
		env := ts.must(t, pathExtSendC2C, jsonBody(t, map[string]any{"From_Account": "alice", "To_Account": "bob",
			"MsgRandom": 7 + ext, "MsgBody": textBody("vote"), "SupportMessageExtension": ext}), 0)
		return map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgKey": env["MsgKey"]}
	}
	group := func(ext int) map[string]any {
		env := ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 7+ext, map[string]any{"From_Account": "alice", "SupportMessageExtension": ext}), 0)
		return map[string]any{"GroupId": "pub", "MsgSeq": env["MsgSeq"]}
	}
	kinds := []extKind{
		{name: "c2c", get: pathExtGet, set: pathExtSet, msg: c2c(1), plain: c2c(0)},
		{name: "group", get: pathGroupExtGet, set: pathGroupExtSet, msg: group(1), plain: group(0)},
	}
	rec.take()
	return ts, rec, kinds
}

// extPairs builds an ExtensionList of "key=value" pairs with Seq 0.
func extPairs(kv ...string) []any {
	out := []any{}
	for _, p := range kv {
		k, v, _ := strings.Cut(p, "=")
		out = append(out, map[string]any{"Key": k, "Value": v, "Seq": 0})
	}
	return out
}

// setExt writes with OperateType op and returns the per-pair results as
// "code:key=value@seq".
func (k extKind) setExt(t *testing.T, ts *testServer, op int, list []any) []string {
	t.Helper()
	env := ts.must(t, k.set, jsonBody(t, extFields(k.msg, map[string]any{"OperateType": op, "ExtensionList": list})), 0)
	sameKeys(t, k.set, env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "ExtensionList")
	out := []string{}
	for _, r := range extList(t, env["ExtensionList"]) {
		sameKeys(t, "result", r, "ErrorCode", "Extension")
		e := r["Extension"].(map[string]any)
		sameKeys(t, "Extension", e, "Key", "Value", "Seq")
		out = append(out, fmt.Sprintf("%d:%s=%s@%d", num(t, r["ErrorCode"]), e["Key"], e["Value"], num(t, e["Seq"])))
	}
	return out
}

// getExt pulls from startSeq and returns "key=value@seq" pairs and the
// reply.
func (k extKind) getExt(t *testing.T, ts *testServer, startSeq int64) ([]string, map[string]any) {
	t.Helper()
	env := ts.must(t, k.get, jsonBody(t, extFields(k.msg, map[string]any{"StartSeq": startSeq})), 0)
	sameKeys(t, k.get, env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "ExtensionList", "CompleteFlag", "LatestSeq", "ClearSeq")
	out := []string{}
	for _, e := range extList(t, env["ExtensionList"]) {
		out = append(out, fmt.Sprintf("%s=%s@%d", e["Key"], e["Value"], num(t, e["Seq"])))
	}
	return out, env
}

// extList is list that accepts an empty array.
func extList(t *testing.T, v any) []map[string]any {
	t.Helper()
	if arr, isArr := v.([]any); isArr && len(arr) == 0 {
		return nil
	}
	return list(t, v)
}

// extHeads reads LatestSeq, ClearSeq and CompleteFlag of a pull.
func extHeads(t *testing.T, env map[string]any) [3]int64 {
	t.Helper()
	return [3]int64{num(t, env["LatestSeq"]), num(t, env["ClearSeq"]), num(t, env["CompleteFlag"])}
}

// TestExtensions: set, overwrite, delete and pull on both kinds of
// message, with the events each write makes.
func TestExtensions(t *testing.T) {
	ts, rec, kinds := extFixture(t)
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			got := k.setExt(t, ts, 1, extPairs("vote_yes=5", "vote_no=1"))
			wantEqual(t, "first set", got, []string{"0:vote_yes=5@1", "0:vote_no=1@2"})
			// An admin call's Seq is not checked.
			list := extPairs("vote_yes=6")
			list[0].(map[string]any)["Seq"] = 99
			wantEqual(t, "admin overwrite", k.setExt(t, ts, 1, list), []string{"0:vote_yes=6@3"})
			exts, env := k.getExt(t, ts, 0)
			wantEqual(t, "pull", exts, []string{"vote_no=1@2", "vote_yes=6@3"})
			wantEqual(t, "versions", extHeads(t, env), [3]int64{3, 0, 1})
			exts, _ = k.getExt(t, ts, 3)
			wantEqual(t, "from a Seq", exts, []string{"vote_yes=6@3"})
			wantEqual(t, "delete", k.setExt(t, ts, 2, extPairs("vote_no", "never_set")), []string{"0:vote_no=@0", "0:never_set=@0"})
			exts, env = k.getExt(t, ts, 0)
			wantEqual(t, "after delete", exts, []string{"vote_yes=6@3"})
			wantEqual(t, "a delete takes no Seq", extHeads(t, env), [3]int64{3, 0, 1})

			// Each write with a change is an event: in both parties'
			// streams, or in the group's.
			pushes := rec.take()
			var ops []string
			for _, p := range pushes {
				ev := p.event
				switch k.name {
				case "c2c":
					if p.kind != "user" || p.push.Seq == 0 || ev["Type"] != "C2CMsgExtChanged" || ev["MsgKey"] != k.msg["MsgKey"] ||
						ev["From_Account"] != "alice" || ev["To_Account"] != "bob" {
						t.Fatalf("push %+v %s", p, p.raw)
					}
				case "group":
					if p.kind != "group" || p.to != "pub" || p.push.EventSeq == 0 || ev["Type"] != "GroupMsgExtChanged" ||
						fmt.Sprint(ev["MsgSeq"]) != fmt.Sprint(k.msg["MsgSeq"]) {
						t.Fatalf("push %+v %s", p, p.raw)
					}
				}
				if ev["Operator_Account"] != testAdmin {
					t.Errorf("Operator_Account %v", ev["Operator_Account"])
				}
				raw := string(p.raw)
				ops = append(ops, p.to+":"+raw[strings.Index(raw, `"OperateType"`):])
			}
			want := []string{
				`:"OperateType":1,"ExtensionList":[{"Key":"vote_yes","Value":"5","Seq":1},{"Key":"vote_no","Value":"1","Seq":2}],"LatestSeq":2,"ClearSeq":0}`,
				`:"OperateType":1,"ExtensionList":[{"Key":"vote_yes","Value":"6","Seq":3}],"LatestSeq":3,"ClearSeq":0}`,
				`:"OperateType":2,"DeletedKeys":["vote_no"],"LatestSeq":3,"ClearSeq":0}`,
			}
			var wantOps []string
			for _, w := range want {
				if k.name == "c2c" {
					wantOps = append(wantOps, "bob"+w, "alice"+w)
				} else {
					wantOps = append(wantOps, "pub"+w)
				}
			}
			wantEqual(t, "events", ops, wantOps)
		})
	}
}

// TestExtensionCodes: every documented error, on both kinds.
func TestExtensionCodes(t *testing.T) {
	ts, _, kinds := extFixture(t)
	c2c, group := kinds[0], kinds[1]
	set := func(msg map[string]any, more map[string]any) string {
		return jsonBody(t, extFields(extFields(msg, map[string]any{"OperateType": 1, "ExtensionList": extPairs("k=v")}), more))
	}
	for _, k := range kinds {
		ts.runCodes(t, k.set, []codeCase{
			{k.name + " no extension support", set(k.plain, nil), 23002},
			{k.name + " OperateType 0", set(k.msg, map[string]any{"OperateType": 0}), 10004},
			{k.name + " OperateType 4", set(k.msg, map[string]any{"OperateType": 4}), 10004},
			{k.name + " OperateType missing", set(k.msg, map[string]any{"OperateType": absent}), 10004},
			{k.name + " OperateType a string", set(k.msg, map[string]any{"OperateType": "1"}), 10004},
			{k.name + " no ExtensionList", set(k.msg, map[string]any{"ExtensionList": absent}), 10004},
			{k.name + " empty ExtensionList to delete", set(k.msg, map[string]any{"OperateType": 2, "ExtensionList": []any{}}), 10004},
			{k.name + " clear takes no list", set(k.msg, map[string]any{"OperateType": 3, "ExtensionList": absent}), 0},
			{k.name + " empty key", set(k.msg, map[string]any{"ExtensionList": extPairs("=v")}), 10004},
			{k.name + " key twice", set(k.msg, map[string]any{"ExtensionList": extPairs("k=1", "k=2")}), 10004},
			{k.name + " key with NUL", set(k.msg, map[string]any{"ExtensionList": extPairs("k\x00=v")}), 10004},
			{k.name + " Seq a string", set(k.msg, map[string]any{"ExtensionList": []any{map[string]any{"Key": "k", "Value": "v", "Seq": "0"}}}), 10004},
			{k.name + " body not JSON", "{", 60003},
		})
		ts.runCodes(t, k.get, []codeCase{
			{k.name + " no extension support: nothing to pull", jsonBody(t, k.plain), 0},
			{k.name + " StartSeq negative", jsonBody(t, extFields(k.msg, map[string]any{"StartSeq": -1})), 10004},
		})
	}
	for _, path := range []string{c2c.get, c2c.set} {
		ts.runCodes(t, path, []codeCase{
			{"no To_Account", set(c2c.msg, map[string]any{"To_Account": absent}), 10004},
			{"no MsgKey", set(c2c.msg, map[string]any{"MsgKey": absent}), 10004},
			{"To_Account a number", set(c2c.msg, map[string]any{"To_Account": 5}), 60015},
			{"From_Account a number", set(c2c.msg, map[string]any{"From_Account": 5}), 60015},
			{"MsgKey of no message", set(c2c.msg, map[string]any{"MsgKey": "1_2_3"}), 23004},
			{"MsgKey not chatd's", set(c2c.msg, map[string]any{"MsgKey": "opaque"}), 23004},
			{"the other direction", set(c2c.msg, map[string]any{"From_Account": "bob", "To_Account": "alice"}), 23004},
			{"From_Account absent is the admin", set(c2c.msg, map[string]any{"From_Account": absent}), 23004},
			{"another conversation", set(c2c.msg, map[string]any{"To_Account": "carol"}), 23004},
		})
	}
	for _, path := range []string{group.get, group.set} {
		ts.runCodes(t, path, []codeCase{
			{"no GroupId", set(group.msg, map[string]any{"GroupId": absent}), 10004},
			{"no MsgSeq", set(group.msg, map[string]any{"MsgSeq": absent}), 10004},
			{"MsgSeq a string", set(group.msg, map[string]any{"MsgSeq": "1"}), 10004},
			{"MsgSeq of no message", set(group.msg, map[string]any{"MsgSeq": 99}), 23004},
			{"no such group", set(group.msg, map[string]any{"GroupId": "nope"}), 23004},
			{"AVChatRoom", set(group.msg, map[string]any{"GroupId": "live"}), 10007},
			{"Community", set(group.msg, map[string]any{"GroupId": "@TGS#_hub"}), 10007},
		})
	}
}

// TestExtensionLimits: each limit of S9 exactly, and one over.
func TestExtensionLimits(t *testing.T) {
	ts, _, kinds := extFixture(t)
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			body := func(list []any) string {
				return jsonBody(t, extFields(k.msg, map[string]any{"OperateType": 1, "ExtensionList": list}))
			}
			many := func(prefix string, n int) []any {
				var kv []string
				for i := range n {
					kv = append(kv, fmt.Sprintf("%s%03d=v", prefix, i))
				}
				return extPairs(kv...)
			}
			ts.runCodes(t, k.set, []codeCase{
				{"20 pairs", body(many("a", 20)), 0},
				{"21 pairs", body(many("b", 21)), 10004},
				{"key of 100 bytes", body(extPairs(strings.Repeat("k", 100) + "=v")), 0},
				{"key of 101 bytes", body(extPairs(strings.Repeat("k", 101) + "=v")), 10004},
				{"value of 1000 bytes", body(extPairs("v=" + strings.Repeat("é", 500))), 0},
				{"value of 1001 bytes", body(extPairs("v=" + strings.Repeat("é", 500) + "x")), 10004},
				{"a long value to delete is ignored", jsonBody(t, extFields(k.msg, map[string]any{"OperateType": 2,
					"ExtensionList": extPairs("none=" + strings.Repeat("x", 2000))})), 0},
			})
			// 22 pairs are set; fill up to 300 with 20-pair writes.
			for i := 0; i < 278; i += 20 {
				ts.must(t, k.set, body(many(fmt.Sprintf("c%03d-", i), min(20, 278-i))), 0)
			}
			_, env := k.getExt(t, ts, 0)
			if n := num(t, env["LatestSeq"]); n != 300 {
				t.Fatalf("LatestSeq %d after 300 pairs", n)
			}
			ts.must(t, k.set, body(extPairs("one_more=v")), 10004)
			// Overwriting a pair adds none: a full message still takes it.
			ts.must(t, k.set, body(extPairs("v=again", "a000=again")), 0)
			ts.must(t, k.set, jsonBody(t, extFields(k.msg, map[string]any{"OperateType": 2, "ExtensionList": extPairs("a000")})), 0)
			ts.must(t, k.set, body(extPairs("one_more=v")), 0)
		})
	}
}

// TestExtensionPagingAndClear: a pull returns at most 200 pairs in Seq
// order and says whether more are left; a clear-all records ClearSeq and
// the Seqs go on from it.
func TestExtensionPagingAndClear(t *testing.T) {
	ts, rec, kinds := extFixture(t)
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for i := range 13 {
				var kv []string
				for j := range 20 {
					kv = append(kv, fmt.Sprintf("k%03d=%d", i*20+j, i))
				}
				k.setExt(t, ts, 1, extPairs(kv...))
			}
			page, env := k.getExt(t, ts, 0)
			if len(page) != 200 || page[0] != "k000=0@1" || page[199] != "k199=9@200" {
				t.Fatalf("first page: %d pairs, %v ... %v", len(page), page[0], page[len(page)-1])
			}
			wantEqual(t, "first page", extHeads(t, env), [3]int64{260, 0, 0})
			page, env = k.getExt(t, ts, 201)
			if len(page) != 60 || page[0] != "k200=10@201" {
				t.Fatalf("second page: %d pairs from %v", len(page), page[0])
			}
			wantEqual(t, "second page", extHeads(t, env), [3]int64{260, 0, 1})

			rec.take()
			wantEqual(t, "clear answers no pairs", k.setExt(t, ts, 3, nil), []string{})
			page, env = k.getExt(t, ts, 0)
			wantEqual(t, "cleared", page, []string{})
			wantEqual(t, "ClearSeq", extHeads(t, env), [3]int64{260, 260, 1})
			pushes := rec.take()
			if len(pushes) == 0 {
				t.Fatal("a clear that removes pairs makes no event")
			}
			for _, p := range pushes {
				if fmt.Sprintf("%v %v", p.event["OperateType"], p.event["ClearSeq"]) != "3 260" {
					t.Errorf("clear event %s", p.raw)
				}
			}
			wantEqual(t, "after a clear", k.setExt(t, ts, 1, extPairs("k000=again")), []string{"0:k000=again@261"})
			k.setExt(t, ts, 3, nil)
			rec.take()
			k.setExt(t, ts, 3, nil)
			if pushes := rec.take(); len(pushes) != 0 {
				t.Fatalf("a clear of nothing made events: %v", pushes)
			}
		})
	}
}

// TestExtensionRateLimit: 200 writes a minute to one message, counted in
// the store; the next minute takes 200 more. The count is the same code
// for both kinds (the store keeps it per message for both: storetest), so
// one kind is driven to the limit.
func TestExtensionRateLimit(t *testing.T) {
	ts, _, kinds := extFixture(t, withRateLimit(0))
	c2c, group := kinds[0], kinds[1]
	write := func(k extKind, op int) string {
		return jsonBody(t, extFields(k.msg, map[string]any{"OperateType": op, "ExtensionList": extPairs("n=v")}))
	}
	// The clock stands still: every write is in one minute.
	for range 200 {
		ts.must(t, c2c.set, write(c2c, 1), 0)
	}
	ts.must(t, c2c.set, write(c2c, 1), 23003)
	ts.must(t, c2c.set, write(c2c, 3), 23003)
	exts, _ := c2c.getExt(t, ts, 0)
	wantEqual(t, "pulls are not limited", exts, []string{"n=v@200"})
	ts.must(t, group.set, write(group, 1), 0)
	ts.clock.Advance(time.Minute)
	ts.must(t, c2c.set, write(c2c, 1), 0)
}

// TestExtensionSwitch: an app with message extensions switched off.
func TestExtensionSwitch(t *testing.T) {
	ts, _, kinds := extFixture(t, withApp(func(a *config.App) { a.Disabled = []string{"msg_extension"} }))
	for _, k := range kinds {
		ts.runCodes(t, k.set, []codeCase{{k.name, jsonBody(t, extFields(k.msg, map[string]any{"OperateType": 3})), 10008}})
		ts.runCodes(t, k.get, []codeCase{{k.name, jsonBody(t, k.msg), 10008}})
	}
}
