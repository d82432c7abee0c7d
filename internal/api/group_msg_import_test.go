package api_test

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestImportGroupMsg(t *testing.T) {
	ts, rec, _, _ := groupMsgFixture(t)
	now := ts.clock.Now().Unix() // the groups were created now
	ts.clock.Advance(time.Hour)
	msg := func(from string, at int64, text string) map[string]any {
		return map[string]any{"From_Account": from, "SendTime": at, "MsgBody": textBody(text)}
	}
	results := func(env map[string]any) [][3]int64 {
		var out [][3]int64
		for _, r := range list(t, env["ImportMsgResult"]) {
			sameKeys(t, "result", r, "MsgSeq", "MsgTime", "Result")
			out = append(out, [3]int64{num(t, r["MsgSeq"]), num(t, r["MsgTime"]), num(t, r["Result"])})
		}
		return out
	}
	long := strings.Repeat("x", 12<<10)

	t.Run("mixed batch", func(t *testing.T) {
		env := ts.must(t, pathImportGroupMsg, jsonBody(t, map[string]any{"GroupId": "pub", "RecentContactFlag": 1, "MsgList": []any{
			msg("ann", now+10, "first"),
			msg("gone", now+20, "from someone no longer here"),
			msg("ann", now+15, "out of order"),
			msg("bob", now+30, long),
			msg("bob", now+30, "same second"),
			msg("ann", now+7200, "in the future"),
			msg("ann", now-1, "before the group"),
		}}), 0)
		sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "ImportMsgResult")
		want := [][3]int64{{1, now + 10, 0}, {2, now + 20, 0}, {0, 0, 10004}, {0, 0, 80002}, {3, now + 30, 0}, {0, 0, 10004}, {0, 0, 10004}}
		if got := results(env); !reflect.DeepEqual(got, want) {
			t.Errorf("results %v, want %v", got, want)
		}
		if p := rec.take(); len(p) != 0 {
			t.Errorf("an import pushed %v", p)
		}
		seqs, msgs := historySeqs(t, ts, map[string]any{"GroupId": "pub"})
		if !reflect.DeepEqual(seqs, []int64{3, 2, 1}) || msgs[1]["From_Account"] != "gone" || num(t, msgs[2]["MsgTimeStamp"]) != now+10 {
			t.Errorf("history %v %v", seqs, msgs)
		}
		env = ts.must(t, pathImportGroupMsg, jsonBody(t, map[string]any{"GroupId": "pub", "MsgList": []any{msg("ann", now+29, "older than the newest")}}), 0)
		if got := results(env); got[0][2] != 10004 {
			t.Errorf("before the newest message: %v", got)
		}
		if seq := sendSeq(t, ts, "pub", 1, nil); seq != 4 {
			t.Errorf("a send after the import: MsgSeq %d, want 4", seq)
		}
	})
	t.Run("duplicates with a Random", func(t *testing.T) {
		m := msg("ann", now+40, "twice")
		m["Random"] = 5
		env := ts.must(t, pathImportGroupMsg, jsonBody(t, map[string]any{"GroupId": "work", "MsgList": []any{m, m}}), 0)
		if got := results(env); !reflect.DeepEqual(got, [][3]int64{{1, now + 40, 0}, {1, now + 40, 0}}) {
			t.Errorf("the same message twice: %v, want the original's for both", got)
		}
	})
	t.Run("into a topic", func(t *testing.T) {
		body := map[string]any{"GroupId": "@TGS#_hub", "TopicId": topicA, "MsgList": []any{msg("ann", now+1, "t"), msg("bob", now+2, "u")}}
		if got := results(ts.must(t, pathImportGroupMsg, jsonBody(t, body), 0)); !reflect.DeepEqual(got, [][3]int64{{1, now + 1, 0}, {2, now + 2, 0}}) {
			t.Errorf("topic import %v", got)
		}
		if seqs, _ := historySeqs(t, ts, map[string]any{"GroupId": "@TGS#_hub", "TopicId": topicA}); !reflect.DeepEqual(seqs, []int64{2, 1}) {
			t.Errorf("topic history %v", seqs)
		}
	})

	seven := []any{}
	for i := range 8 {
		seven = append(seven, msg("ann", now+100+int64(i), "m"))
	}
	for _, tt := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"7 messages", map[string]any{"GroupId": "meet", "MsgList": seven[:7]}, 0},
		{"8 messages", map[string]any{"GroupId": "meet", "MsgList": seven}, 10004},
		{"no messages", map[string]any{"GroupId": "meet", "MsgList": []any{}}, 10004},
		{"every message over 12 KB", map[string]any{"GroupId": "meet", "MsgList": []any{msg("ann", now+200, long), msg("ann", now+201, long)}}, 10020},
		{"From_Account missing", map[string]any{"GroupId": "meet", "MsgList": []any{map[string]any{"SendTime": now + 300, "MsgBody": textBody("x")}}}, 10004},
		{"MsgBody invalid", map[string]any{"GroupId": "meet", "MsgList": []any{map[string]any{"From_Account": "ann", "SendTime": now + 300, "MsgBody": []any{}}}}, 10004},
		{"SendTime a string", map[string]any{"GroupId": "meet", "MsgList": []any{map[string]any{"From_Account": "ann", "SendTime": "1", "MsgBody": textBody("x")}}}, 10004},
		{"Random negative", map[string]any{"GroupId": "meet", "MsgList": []any{map[string]any{"From_Account": "ann", "SendTime": now + 300, "Random": -1, "MsgBody": textBody("x")}}}, 10004},
		{"RecentContactFlag 2", map[string]any{"GroupId": "meet", "RecentContactFlag": 2, "MsgList": seven[:1]}, 10004},
		{"RecentContactFlag in a community", map[string]any{"GroupId": "@TGS#_hub", "RecentContactFlag": 1, "MsgList": seven[:1]}, 10007},
		{"a live group", map[string]any{"GroupId": "live", "MsgList": seven[:1]}, 10007},
		{"no such topic", map[string]any{"GroupId": "@TGS#_hub", "TopicId": "@TGS#_hub@TOPIC#_x", "MsgList": seven[:1]}, 10010},
		{"GroupId missing", map[string]any{"MsgList": seven[:1]}, 10004},
		{"invalid group ID", map[string]any{"GroupId": strings.Repeat("g", 49), "MsgList": seven[:1]}, 10015},
		{"no such group", map[string]any{"GroupId": "nope", "MsgList": seven[:1]}, 10010},
	} {
		t.Run(tt.name, func(t *testing.T) { ts.must(t, pathImportGroupMsg, jsonBody(t, tt.body), tt.want) })
	}
}
