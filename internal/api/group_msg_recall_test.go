package api_test

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
)

func TestGroupMsgRecall(t *testing.T) {
	ts, rec, _, _ := groupMsgFixture(t)
	for i := range 3 {
		sendSeq(t, ts, "pub", i, map[string]any{"From_Account": "ann", "CloudCustomData": "cd"}) // 1, 2, 3
	}
	ts.clock.Advance(30 * 24 * time.Hour) // REST recalls have no time limit
	rec.take()
	retList := func(env map[string]any) [][2]int64 {
		var out [][2]int64
		for _, r := range list(t, env["RecallRetList"]) {
			sameKeys(t, "result", r, "MsgSeq", "RetCode")
			out = append(out, [2]int64{num(t, r["MsgSeq"]), num(t, r["RetCode"])})
		}
		return out
	}
	env := ts.must(t, pathRecall, `{"GroupId":"pub","MsgSeqList":[{"MsgSeq":1},{"MsgSeq":9},{"MsgSeq":3}],"Reason":"spam"}`, 0)
	sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "RecallRetList")
	if got, want := retList(env), [][2]int64{{1, 0}, {9, 10030}, {3, 0}}; !reflect.DeepEqual(got, want) {
		t.Errorf("results %v, want %v", got, want)
	}
	p := onlyPush(t, rec)
	sameKeys(t, "event", p.event, "Type", "GroupId", "Operator_Account", "MsgSeqList", "Reason")
	if p.kind != "group" || p.push.EventSeq == 0 || p.event["Type"] != "GroupMsgRecalled" || p.event["Reason"] != "spam" ||
		p.event["Operator_Account"] != testAdmin || !reflect.DeepEqual(p.event["MsgSeqList"], []any{jsonNum(1), jsonNum(3)}) {
		t.Errorf("recall push %+v", p)
	}
	if got := retList(ts.must(t, pathRecall, `{"GroupId":"pub","MsgSeqList":[{"MsgSeq":3},{"MsgSeq":2}]}`, 0)); !reflect.DeepEqual(got, [][2]int64{{3, 10032}, {2, 0}}) {
		t.Errorf("recalling again: %v, want 10032 for the recalled one", got)
	}
	rec.take()

	if seqs, _ := historySeqs(t, ts, map[string]any{"GroupId": "pub"}); len(seqs) != 0 {
		t.Errorf("history %v: recalled messages are left out", seqs)
	}
	seqs, msgs := historySeqs(t, ts, map[string]any{"GroupId": "pub", "WithRecalledMsg": 1})
	if !reflect.DeepEqual(seqs, []int64{3, 2, 1}) {
		t.Fatalf("history with recalled %v", seqs)
	}
	for _, m := range msgs {
		sameKeys(t, "recalled message", m, "From_Account", "IsPlaceMsg", "IsSystemMsg", "MsgPriority", "MsgRandom", "MsgSeq", "MsgTimeStamp", "MsgBody")
		if num(t, m["IsPlaceMsg"]) != 2 || len(m["MsgBody"].([]any)) != 0 {
			t.Errorf("recalled message %v: want IsPlaceMsg 2 and no body", m)
		}
	}

	t.Run("topic", func(t *testing.T) {
		send := map[string]any{"TopicId": topicA, "From_Account": "ann"}
		seq := num(t, ts.must(t, pathSendGroupMsg, sendBody(t, "@TGS#_hub", 1, send), 0)["MsgSeq"])
		rec.take()
		env := ts.must(t, pathRecall, jsonBody(t, map[string]any{"GroupId": "@TGS#_hub", "TopicId": topicA, "MsgSeqList": []any{map[string]any{"MsgSeq": seq}}}), 0)
		if got := retList(env); got[0][1] != 0 {
			t.Errorf("topic recall %v", got)
		}
		if p := onlyPush(t, rec); p.event["TopicId"] != topicA || p.to != "@TGS#_hub" {
			t.Errorf("topic recall push %+v", p)
		}
	})

	for _, tt := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"10 messages", map[string]any{"GroupId": "meet", "MsgSeqList": seqList(10)}, 0},
		{"11 messages", map[string]any{"GroupId": "meet", "MsgSeqList": seqList(11)}, 10004},
		{"no messages", map[string]any{"GroupId": "meet", "MsgSeqList": seqList(0)}, 10004},
		{"MsgSeqList missing", map[string]any{"GroupId": "meet"}, 10004},
		{"MsgSeq a string", map[string]any{"GroupId": "meet", "MsgSeqList": []any{map[string]any{"MsgSeq": "1"}}}, 10004},
		{"Reason of 100 bytes", map[string]any{"GroupId": "meet", "MsgSeqList": seqList(1), "Reason": strings.Repeat("r", 100)}, 0},
		{"Reason over 100 bytes", map[string]any{"GroupId": "meet", "MsgSeqList": seqList(1), "Reason": strings.Repeat("r", 101)}, 10004},
		{"a live group", map[string]any{"GroupId": "live", "MsgSeqList": seqList(1)}, 10033},
		{"no such topic", map[string]any{"GroupId": "@TGS#_hub", "TopicId": "@TGS#_hub@TOPIC#_x", "MsgSeqList": seqList(1)}, 10010},
		{"GroupId missing", map[string]any{"MsgSeqList": seqList(1)}, 10004},
		{"invalid group ID", map[string]any{"GroupId": strings.Repeat("g", 49), "MsgSeqList": seqList(1)}, 10015},
		{"no such group", map[string]any{"GroupId": "nope", "MsgSeqList": seqList(1)}, 10010},
	} {
		t.Run(tt.name, func(t *testing.T) { ts.must(t, pathRecall, jsonBody(t, tt.body), tt.want) })
	}
	t.Run("switched off", func(t *testing.T) {
		off, _, _, _ := groupMsgFixture(t, withApp(func(a *config.App) { a.Disabled = []string{"group_msg_recall"} }))
		off.must(t, pathRecall, `{"GroupId":"pub","MsgSeqList":[{"MsgSeq":1}]}`, 10041)
	})
}

// jsonNum is a number as the push recorder decodes it.
func jsonNum(n int64) any { return json.Number(strconv.FormatInt(n, 10)) }

func TestDeleteGroupMsgBySender(t *testing.T) {
	ts, rec, _, _ := groupMsgFixture(t)
	for i, from := range []string{"ann", "bob", "ann", "bob"} {
		sendSeq(t, ts, "pub", i, map[string]any{"From_Account": from})
	}
	rec.take()
	env := ts.must(t, pathDeleteBySender, `{"GroupId":"pub","Sender_Account":"ann"}`, 0)
	sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId")
	if p := rec.take(); len(p) != 0 {
		t.Errorf("a silent recall pushed %v", p)
	}
	if seqs, _ := historySeqs(t, ts, map[string]any{"GroupId": "pub"}); !reflect.DeepEqual(seqs, []int64{4, 2}) {
		t.Errorf("history %v, want bob's only", seqs)
	}
	// No push, but the group's stream has the recall for the next sync.
	events, err := ts.db.ListGroupEvents(t.Context(), testAppID, "pub", 0, 100)
	if err != nil || len(events) == 0 {
		t.Fatalf("group events %v %v", events, err)
	}
	last := string(events[len(events)-1].Payload)
	if !strings.Contains(last, `"Type":"GroupMsgRecalled"`) || !strings.Contains(last, `"MsgSeqList":[1,3]`) {
		t.Errorf("last group event %s", last)
	}

	ts.must(t, pathSendGroupMsg, sendBody(t, "@TGS#_hub", 1, map[string]any{"TopicId": topicA, "From_Account": "ann"}), 0)
	ts.must(t, pathDeleteBySender, jsonBody(t, map[string]any{"GroupId": "@TGS#_hub", "TopicId": topicA, "Sender_Account": "ann"}), 0)
	if seqs, _ := historySeqs(t, ts, map[string]any{"GroupId": "@TGS#_hub", "TopicId": topicA}); len(seqs) != 0 {
		t.Errorf("topic history %v", seqs)
	}
	for _, tt := range []struct {
		name string
		body string
		want int
	}{
		{"nothing of the sender", `{"GroupId":"pub","Sender_Account":"outsider"}`, 0},
		{"a live group: nothing to do", `{"GroupId":"live","Sender_Account":"ann"}`, 0},
		{"Sender_Account missing", `{"GroupId":"pub"}`, 10004},
		{"Sender_Account a number", `{"GroupId":"pub","Sender_Account":1}`, 10004},
		{"no such topic", `{"GroupId":"@TGS#_hub","TopicId":"@TGS#_hub@TOPIC#_x","Sender_Account":"ann"}`, 10010},
		{"GroupId missing", `{"Sender_Account":"ann"}`, 10004},
		{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `","Sender_Account":"ann"}`, 10015},
		{"no such group", `{"GroupId":"nope","Sender_Account":"ann"}`, 10010},
	} {
		t.Run(tt.name, func(t *testing.T) { ts.must(t, pathDeleteBySender, tt.body, tt.want) })
	}
}

func TestDeleteGroupMsgBySenderScansTheNewest1000(t *testing.T) {
	ts, _, _, _ := groupMsgFixture(t)
	// ann's message, then 1000 of bob's: ann's is past the scan.
	sendSeq(t, ts, "work", 0, map[string]any{"From_Account": "owner"})
	body := []any{}
	for i := range 1000 {
		body = append(body, map[string]any{"From_Account": "ann", "SendTime": ts.clock.Now().Unix(), "MsgBody": textBody(string(rune('a' + i%26)))})
		if len(body) == 7 || i == 999 {
			ts.must(t, pathImportGroupMsg, jsonBody(t, map[string]any{"GroupId": "work", "MsgList": body}), 0)
			body = nil
		}
	}
	ts.must(t, pathDeleteBySender, `{"GroupId":"work","Sender_Account":"owner"}`, 0)
	if seqs, _ := historySeqs(t, ts, map[string]any{"GroupId": "work", "ReqMsgSeq": 1, "ReqMsgNumber": 1}); !reflect.DeepEqual(seqs, []int64{1}) {
		t.Errorf("the message before the newest 1,000 was recalled: %v", seqs)
	}
	ts.must(t, pathDeleteBySender, `{"GroupId":"work","Sender_Account":"ann"}`, 0)
	if seqs, _ := historySeqs(t, ts, map[string]any{"GroupId": "work"}); !reflect.DeepEqual(seqs, []int64{1}) {
		t.Errorf("after recalling ann's 1,000: %v", seqs)
	}
}
