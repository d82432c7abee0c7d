package api_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
)

func TestSendGroupSystemNotification(t *testing.T) {
	ts, rec, _, _ := groupMsgFixture(t)
	tests := []struct {
		name string
		body map[string]any
		want int
	}{
		{"to every member", map[string]any{"GroupId": "pub", "Content": "c"}, 0},
		{"to members", map[string]any{"GroupId": "pub", "Content": "c", "ToMembers_Account": []string{"ann"}}, 0},
		{"to 500", map[string]any{"GroupId": "pub", "Content": "c", "ToMembers_Account": ids("u", 500)}, 0},
		{"to 501", map[string]any{"GroupId": "pub", "Content": "c", "ToMembers_Account": ids("u", 501)}, 10004},
		{"to a live group", map[string]any{"GroupId": "live", "Content": "c"}, 0},
		{"to members of a live group", map[string]any{"GroupId": "live", "Content": "c", "ToMembers_Account": []string{"ann"}}, 10007},
		{"to a topic", map[string]any{"GroupId": "@TGS#_hub", "TopicId": topicA, "Content": "c"}, 0},
		{"to no such topic", map[string]any{"GroupId": "@TGS#_hub", "TopicId": "@TGS#_hub@TOPIC#_x", "Content": "c"}, 10010},
		{"to a topic of a group without topics", map[string]any{"GroupId": "pub", "TopicId": "pub@TOPIC#_x", "Content": "c"}, 10007},
		{"Content missing", map[string]any{"GroupId": "pub"}, 10004},
		{"Content over 12 KB", map[string]any{"GroupId": "pub", "Content": strings.Repeat("x", 12<<10+1)}, 10004},
		{"Content at 12 KB", map[string]any{"GroupId": "pub", "Content": strings.Repeat("x", 12<<10)}, 0},
		{"Content a number", map[string]any{"GroupId": "pub", "Content": 1}, 10004},
		{"ToMembers_Account of numbers", map[string]any{"GroupId": "pub", "Content": "c", "ToMembers_Account": []int{1}}, 10004},
		{"GroupId missing", map[string]any{"Content": "c"}, 10004},
		{"invalid group ID", map[string]any{"GroupId": strings.Repeat("g", 49), "Content": "c"}, 10015},
		{"no such group", map[string]any{"GroupId": "nope", "Content": "c"}, 10010},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := ts.must(t, pathNotify, jsonBody(t, tt.body), tt.want)
			if tt.want == 0 {
				sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId")
			}
		})
	}
	rec.take()

	t.Run("delivery", func(t *testing.T) {
		ts.must(t, pathNotify, `{"GroupId":"pub","Content":"{\"quiz\":3}"}`, 0)
		p := onlyPush(t, rec)
		if p.kind != "group" || p.to != "pub" || p.push.EventSeq == 0 {
			t.Errorf("to every member: %+v, want one numbered group event", p)
		}
		sameKeys(t, "event", p.event, "Type", "GroupId", "Content")
		if p.event["Type"] != "GroupSystemNotification" || p.event["Content"] != `{"quiz":3}` {
			t.Errorf("event %v", p.event)
		}
		events, err := ts.db.ListGroupEvents(t.Context(), testAppID, "pub", p.push.EventSeq-1, 10)
		if err != nil || len(events) != 1 || string(events[0].Payload) != string(p.raw) {
			t.Errorf("the group's stream holds %v (%v), want the event pushed", events, err)
		}

		ts.must(t, pathNotify, `{"GroupId":"pub","Content":"c","ToMembers_Account":["ann","outsider","ghost","ann"]}`, 0)
		p = onlyPush(t, rec)
		if p.kind != "user" || p.to != "ann" || p.push.Seq == 0 || p.event["Type"] != "GroupSystemNotification" {
			t.Errorf("to listed members: %+v, want one numbered push to ann, the only member listed", p)
		}

		ts.must(t, pathNotify, `{"GroupId":"live","Content":"c"}`, 0)
		p = onlyPush(t, rec)
		if p.kind != "room" || p.push.EventSeq != 0 || p.push.Seq != 0 {
			t.Errorf("to a live group: %+v, want one unnumbered push to the room", p)
		}

		ts.must(t, pathNotify, jsonBody(t, map[string]any{"GroupId": "@TGS#_hub", "TopicId": topicA, "Content": "c"}), 0)
		if p := onlyPush(t, rec); p.event["TopicId"] != topicA || p.to != "@TGS#_hub" {
			t.Errorf("to a topic: %+v", p)
		}
	})
}

func TestSendBroadcastMsg(t *testing.T) {
	ts, _, bc, _ := groupMsgFixture(t)
	body := func(random int, fields map[string]any) string {
		return overlay(t, map[string]any{"Random": random, "MsgBody": textBody("maintenance in 10 minutes")}, fields)
	}
	// The documented rate is 1 call/s: each call runs in a second of its own.
	call := func(t *testing.T, b string, want int) map[string]any {
		t.Helper()
		ts.clock.Advance(time.Second)
		return ts.must(t, pathBroadcast, b, want)
	}
	env := call(t, body(1, map[string]any{"From_Account": "ann", "CloudCustomData": "cd"}), 0)
	sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "MsgSeq")
	if num(t, env["MsgSeq"]) != 1 {
		t.Errorf("first broadcast: %v", env)
	}
	got := bc.take()
	if len(got) != 1 {
		t.Fatalf("%d deliveries, want one for every live room at once", len(got))
	}
	ev := got[0]
	sameKeys(t, "event", ev, "Type", "MsgSeq", "MsgTime", "From_Account", "Random", "MsgBody", "CloudCustomData")
	if ev["Type"] != "BroadcastMsg" || ev["From_Account"] != "ann" || ev["MsgSeq"] != float64(1) || ev["MsgTime"] != float64(ts.clock.Now().Unix()) {
		t.Errorf("event %v", ev)
	}
	if env := call(t, body(2, nil), 0); num(t, env["MsgSeq"]) != 2 || bc.take()[0]["From_Account"] != testAdmin {
		t.Errorf("second broadcast, from the admin: %v", env)
	}
	if env := call(t, body(2, nil), 0); num(t, env["MsgSeq"]) != 2 || len(bc.take()) != 0 {
		t.Errorf("the same broadcast again: %v, want the original's MsgSeq and no delivery", env)
	}
	if seq := sendSeq(t, ts, "live", 1, nil); seq != 1 {
		t.Errorf("a live group's own MsgSeq does not count broadcasts: %d", seq)
	}

	for _, tt := range []struct {
		name string
		body string
		want int
	}{
		{"Random missing", body(0, map[string]any{"Random": absent}), 10004},
		{"Random over 32 bits", body(1<<32, nil), 10004},
		{"MsgBody missing", body(3, map[string]any{"MsgBody": absent}), 10004},
		{"MsgBody invalid", body(3, map[string]any{"MsgBody": []any{map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{}}}}), 10004},
		{"over 12 KB", body(3, map[string]any{"MsgBody": textBody(strings.Repeat("x", 12<<10))}), 80002},
		{"From_Account not imported", body(3, map[string]any{"From_Account": "ghost"}), 10019},
	} {
		t.Run(tt.name, func(t *testing.T) { call(t, tt.body, tt.want) })
	}
	if p := bc.take(); len(p) != 0 {
		t.Errorf("refused broadcasts were delivered: %v", p)
	}

	t.Run("rate", func(t *testing.T) {
		call(t, body(4, nil), 0)
		ts.must(t, pathBroadcast, body(5, nil), 10023)
	})
	t.Run("switched off", func(t *testing.T) {
		off, _, bc, _ := groupMsgFixture(t, withApp(func(a *config.App) { a.Disabled = []string{"group_broadcast"} }))
		off.must(t, pathBroadcast, body(1, nil), 10007)
		if len(bc.take()) != 0 {
			t.Error("delivered")
		}
	})
	t.Run("faster when configured", func(t *testing.T) {
		fast, _, _, _ := groupMsgFixture(t, withApp(func(a *config.App) {
			a.RateLimits = map[string]int{"v4/group_open_http_svc/send_broadcast_msg": 5}
		}))
		var codes []int64
		for i := range 6 {
			env, _ := fast.call(t, pathBroadcast, body(i, nil))
			codes = append(codes, num(t, env["ErrorCode"]))
		}
		if !slices.Equal(codes, []int64{0, 0, 0, 0, 0, 10023}) {
			t.Errorf("6 calls in one second at 5/s: %v", codes)
		}
	})
}
