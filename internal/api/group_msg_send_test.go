package api_test

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

func TestSendGroupMsgRate(t *testing.T) {
	ts, rec, _, _ := groupMsgFixture(t)
	for i := range message.GroupMsgRate {
		sendSeq(t, ts, "pub", i, nil)
	}
	rec.take()
	env := ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 100, nil), 0)
	if env["MsgDropReason"] != "MsgFreqCtrl" || num(t, env["MsgSeq"]) != 0 || num(t, env["MsgTime"]) != ts.clock.Now().Unix() {
		t.Fatalf("message %d in one second: %v, want it dropped with MsgFreqCtrl", message.GroupMsgRate+1, env)
	}
	if p := rec.take(); len(p) != 0 {
		t.Errorf("a dropped message was pushed: %v", p)
	}
	if seq := sendSeq(t, ts, "meet", 101, nil); seq != 1 {
		t.Errorf("another group's rate is its own: MsgSeq %d", seq)
	}
	ts.clock.Advance(time.Second)
	if seq := sendSeq(t, ts, "pub", 102, nil); seq != message.GroupMsgRate+1 {
		t.Errorf("next second: MsgSeq %d, want %d (the dropped message took none)", seq, message.GroupMsgRate+1)
	}
	if seqs, _ := historySeqs(t, ts, map[string]any{"GroupId": "pub", "ReqMsgNumber": 1}); seqs[0] != message.GroupMsgRate+1 {
		t.Errorf("history %v", seqs)
	}
}

func TestSendGroupMsgControlStored(t *testing.T) {
	ts, _, _, _ := groupMsgFixture(t)
	for i, c := range [][]string{nil, {"NoUnread"}, {"NoLastMsg"}, {"NoUnread", "NoLastMsg"}} {
		fields := map[string]any{}
		if c != nil {
			fields["SendMsgControl"] = c
		}
		sendSeq(t, ts, "pub", i, fields)
	}
	got, err := ts.db.ListHistory(t.Context(), im.MsgStream{AppID: testAppID, GroupID: "pub"}, math.MaxInt64, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	var flags [][2]bool
	for _, m := range got {
		flags = append(flags, [2]bool{m.NoUnread, m.NoLastMsg})
	}
	if want := [][2]bool{{true, true}, {false, true}, {true, false}, {false, false}}; !reflect.DeepEqual(flags, want) {
		t.Errorf("stored SendMsgControl, newest first: %v, want %v", flags, want)
	}
}

func TestTopicMessages(t *testing.T) {
	ts, rec, _, _ := groupMsgFixture(t)
	send := func(topic string, random int, fields map[string]any, want int) map[string]any {
		t.Helper()
		if fields == nil {
			fields = map[string]any{}
		}
		fields["TopicId"] = topic
		return ts.must(t, pathSendGroupMsg, sendBody(t, "@TGS#_hub", random, fields), want)
	}
	var got []int64
	for i, topic := range []string{topicA, topicA, topicB, ""} {
		env := send(topic, i, map[string]any{"From_Account": "ann"}, 0)
		got = append(got, num(t, env["MsgSeq"]))
	}
	if want := []int64{1, 2, 1, 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("MsgSeqs %v, want %v: each topic counts on its own, and the community's own stream too", got, want)
	}
	pushes := rec.take()
	if len(pushes) != 4 {
		t.Fatalf("%d pushes, want 4", len(pushes))
	}
	p := pushes[0]
	if p.kind != "group" || p.to != "@TGS#_hub" || p.push.MsgSeq != 0 {
		t.Errorf("topic push %+v: want one to the community's members, without the group's MsgSeq", p)
	}
	sameKeys(t, "topic event", p.event, "Type", "GroupId", "TopicId", "MsgSeq", "Message")
	inner, _ := p.event["Message"].(map[string]any)
	if p.event["Type"] != "TopicMsg" || p.event["TopicId"] != topicA || num(t, p.event["MsgSeq"]) != 1 ||
		inner["Type"] != "GroupMsg" || inner["From_Account"] != "ann" || num(t, inner["MsgSeq"]) != 1 {
		t.Errorf("topic event %v", p.event)
	}
	if last := pushes[3]; last.push.MsgSeq != 1 || last.event["Type"] != "GroupMsg" {
		t.Errorf("the community's own message: push %+v", last)
	}

	for _, tt := range []struct {
		topic string
		want  []int64
	}{{topicA, []int64{2, 1}}, {topicB, []int64{1}}, {"", []int64{1}}} {
		if seqs, _ := historySeqs(t, ts, map[string]any{"GroupId": "@TGS#_hub", "TopicId": tt.topic}); !reflect.DeepEqual(seqs, tt.want) {
			t.Errorf("history of %q: %v, want %v", tt.topic, seqs, tt.want)
		}
	}
	ts.must(t, pathGroupHistory, `{"GroupId":"@TGS#_hub","ReqMsgNumber":5,"TopicId":"@TGS#_hub@TOPIC#_nope"}`, 10010)

	// Duplicates are per topic.
	if env := send(topicA, 0, map[string]any{"From_Account": "ann"}, 0); num(t, env["MsgSeq"]) != 1 {
		t.Errorf("the same message again in its topic: %v, want the original's MsgSeq 1", env)
	}
	if env := send(topicB, 0, map[string]any{"From_Account": "ann"}, 0); num(t, env["MsgSeq"]) != 2 {
		t.Errorf("the same message in another topic: %v, want a new one", env)
	}

	t.Run("mutes", func(t *testing.T) {
		ts.must(t, pathForbidSend, jsonBody(t, map[string]any{"GroupId": "@TGS#_hub", "TopicId": topicA, "Members_Account": []string{"ann"}, "MuteTime": 60}), 0)
		send(topicA, 10, map[string]any{"From_Account": "ann"}, 10017)
		send(topicB, 11, map[string]any{"From_Account": "ann"}, 0)
		ts.must(t, pathModifyTopic, jsonBody(t, map[string]any{"GroupId": "@TGS#_hub", "TopicId": topicB, "MuteAllMember": "On"}), 0)
		send(topicB, 12, map[string]any{"From_Account": "bob"}, 10017)
		send(topicB, 13, map[string]any{"From_Account": "owner"}, 0)
		send(topicB, 14, nil, 0)
		send("", 15, map[string]any{"From_Account": "bob"}, 0)
	})
	t.Run("errors", func(t *testing.T) {
		send("@TGS#_hub@TOPIC#_nope", 20, nil, 10010)
		ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 21, map[string]any{"TopicId": "pub@TOPIC#_x"}), 10007)
		send(topicA, 22, map[string]any{"From_Account": "outsider"}, 10007)
	})
}

func TestLiveGroupMute(t *testing.T) {
	ts, _, _, _ := groupMsgFixture(t)
	ts.must(t, pathForbidSend, `{"GroupId":"live","Members_Account":["outsider"],"MuteTime":60}`, 0)
	ts.must(t, pathSendGroupMsg, sendBody(t, "live", 1, map[string]any{"From_Account": "outsider"}), 10017)
	ts.must(t, pathSendGroupMsg, sendBody(t, "live", 2, map[string]any{"From_Account": "ann"}), 0)
	ts.clock.Advance(time.Minute)
	ts.must(t, pathSendGroupMsg, sendBody(t, "live", 3, map[string]any{"From_Account": "outsider"}), 0)
}
