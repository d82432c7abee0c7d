package api_test

import (
	"reflect"
	"strings"
	"testing"
)

func TestModifyGroupMsg(t *testing.T) {
	ts, rec, _, _ := groupMsgFixture(t)
	seq := sendSeq(t, ts, "pub", 1, map[string]any{"From_Account": "ann", "CloudCustomData": "before"})
	rec.take()
	newBody := textBody("edited")
	env := ts.must(t, pathModifyGroupMsg, jsonBody(t, map[string]any{"GroupId": "pub", "MsgSeq": seq, "MsgBody": newBody}), 0)
	sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId")
	p := onlyPush(t, rec)
	sameKeys(t, "event", p.event, "Type", "GroupId", "Operator_Account", "MsgSeq", "Message")
	msg, _ := p.event["Message"].(map[string]any)
	if p.kind != "group" || p.push.EventSeq == 0 || p.event["Type"] != "GroupMsgModified" || msg["Type"] != "GroupMsg" ||
		msg["From_Account"] != "ann" || msg["CloudCustomData"] != "before" || msg["MsgBody"].([]any)[0].(map[string]any)["MsgContent"].(map[string]any)["Text"] != "edited" {
		t.Errorf("modify push %+v", p)
	}
	ts.must(t, pathModifyGroupMsg, jsonBody(t, map[string]any{"GroupId": "pub", "MsgSeq": seq, "CloudCustomData": "after"}), 0)
	_, msgs := historySeqs(t, ts, map[string]any{"GroupId": "pub"})
	var body any
	mustUnmarshal(t, jsonBody(t, newBody), &body)
	if msgs[0]["CloudCustomData"] != "after" || !reflect.DeepEqual(msgs[0]["MsgBody"], body) {
		t.Errorf("history after two modifications: %v", msgs[0])
	}
	t.Run("topic", func(t *testing.T) {
		seq := num(t, ts.must(t, pathSendGroupMsg, sendBody(t, "@TGS#_hub", 1, map[string]any{"TopicId": topicA}), 0)["MsgSeq"])
		rec.take()
		ts.must(t, pathModifyGroupMsg, jsonBody(t, map[string]any{"GroupId": "@TGS#_hub", "TopicId": topicA, "MsgSeq": seq, "CloudCustomData": "x"}), 0)
		if p := onlyPush(t, rec); p.event["TopicId"] != topicA || p.event["Message"].(map[string]any)["Type"] != "TopicMsg" {
			t.Errorf("topic modify push %+v", p)
		}
	})

	t.Run("a message for some members", func(t *testing.T) {
		seq := sendSeq(t, ts, "pub", 3, map[string]any{"From_Account": "ann", "To_Account": []string{"bob"}})
		rec.take()
		ts.must(t, pathModifyGroupMsg, jsonBody(t, map[string]any{"GroupId": "pub", "MsgSeq": seq, "CloudCustomData": "x"}), 0)
		var to []string
		for _, p := range rec.take() {
			if p.kind != "user" || p.push.Seq == 0 || p.event["Type"] != "GroupMsgModified" {
				t.Errorf("push %+v, want numbered pushes to the addressees and the sender", p)
			}
			to = append(to, p.to)
		}
		if !reflect.DeepEqual(to, []string{"ann", "bob"}) {
			t.Errorf("told %v, want the sender and the addressee only", to)
		}
	})

	recalled := sendSeq(t, ts, "pub", 2, nil)
	ts.must(t, pathRecall, jsonBody(t, map[string]any{"GroupId": "pub", "MsgSeqList": []any{map[string]any{"MsgSeq": recalled}}}), 0)
	overhead := len(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":""}}]`)
	for _, tt := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"body and custom data", map[string]any{"GroupId": "pub", "MsgSeq": seq, "MsgBody": textBody("b"), "CloudCustomData": "c"}, 0},
		{"at 12 KB", map[string]any{"GroupId": "pub", "MsgSeq": seq, "MsgBody": textBody(strings.Repeat("x", 12<<10-overhead-1))}, 0},
		{"over 12 KB with the custom data kept", map[string]any{"GroupId": "pub", "MsgSeq": seq, "MsgBody": textBody(strings.Repeat("x", 12<<10-overhead))}, 80002},
		{"nothing to change", map[string]any{"GroupId": "pub", "MsgSeq": seq}, 20001},
		{"MsgBody null", map[string]any{"GroupId": "pub", "MsgSeq": seq, "MsgBody": nil}, 20001},
		{"MsgBody not an array", map[string]any{"GroupId": "pub", "MsgSeq": seq, "MsgBody": "text"}, 90007},
		{"MsgBody empty", map[string]any{"GroupId": "pub", "MsgSeq": seq, "MsgBody": []any{}}, 90002},
		{"MsgBody invalid", map[string]any{"GroupId": "pub", "MsgSeq": seq, "MsgBody": []any{map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{}}}}, 90002},
		{"CloudCustomData a number", map[string]any{"GroupId": "pub", "MsgSeq": seq, "CloudCustomData": 1}, 20001},
		{"MsgSeq missing", map[string]any{"GroupId": "pub", "CloudCustomData": "c"}, 90003},
		{"GroupId missing", map[string]any{"MsgSeq": seq, "CloudCustomData": "c"}, 90003},
		{"no such message", map[string]any{"GroupId": "pub", "MsgSeq": 999, "CloudCustomData": "c"}, 10030},
		{"a recalled message", map[string]any{"GroupId": "pub", "MsgSeq": recalled, "CloudCustomData": "c"}, 10030},
		{"a live group", map[string]any{"GroupId": "live", "MsgSeq": 1, "CloudCustomData": "c"}, 10007},
		{"no such topic", map[string]any{"GroupId": "@TGS#_hub", "TopicId": "@TGS#_hub@TOPIC#_x", "MsgSeq": 1, "CloudCustomData": "c"}, 10010},
		{"invalid group ID", map[string]any{"GroupId": strings.Repeat("g", 49), "MsgSeq": 1, "CloudCustomData": "c"}, 10015},
		{"no such group", map[string]any{"GroupId": "nope", "MsgSeq": 1, "CloudCustomData": "c"}, 10010},
	} {
		t.Run(tt.name, func(t *testing.T) { ts.must(t, pathModifyGroupMsg, jsonBody(t, tt.body), tt.want) })
	}
	t.Run("body not JSON", func(t *testing.T) { ts.must(t, pathModifyGroupMsg, `{"GroupId":`, 60003) })
}
