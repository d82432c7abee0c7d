package api_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// REST paths of the group message commands of issue 10.
const (
	pathNotify         = "/v4/group_open_http_svc/send_group_system_notification"
	pathBroadcast      = "/v4/group_open_http_svc/send_broadcast_msg"
	pathImportGroupMsg = "/v4/group_open_http_svc/import_group_msg"
	pathRecall         = "/v4/group_open_http_svc/group_msg_recall"
	pathDeleteBySender = "/v4/group_open_http_svc/delete_group_msg_by_sender"
	pathModifyGroupMsg = "/v4/openim/modify_group_msg"
	pathReceipts       = "/v4/group_open_http_svc/get_group_msg_receipt"
	pathReceiptDetail  = "/v4/group_open_http_svc/get_group_msg_receipt_detail"
)

// The topics groupMsgFixture creates in the community "@TGS#_hub".
const (
	topicA = "@TGS#_hub@TOPIC#_a"
	topicB = "@TGS#_hub@TOPIC#_b"
)

// broadcastRecorder is the message service's Broadcaster in tests.
type broadcastRecorder struct {
	mu     sync.Mutex
	pushes []map[string]any
}

func (b *broadcastRecorder) DeliverAllRooms(_ context.Context, _ uint64, p im.Push) error {
	var ev map[string]any
	if err := json.Unmarshal(p.Event, &ev); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pushes = append(b.pushes, ev)
	return nil
}

func (b *broadcastRecorder) take() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.pushes
	b.pushes = nil
	return out
}

// groupMsgFixture is messageFixture with a broadcast recorder, topics a and
// b in the community "@TGS#_hub", ann and bob members of it, and the
// message service for what clients do (read receipts, recalls).
func groupMsgFixture(t *testing.T, opts ...option) (*testServer, *pushRecorder, *broadcastRecorder, *message.Service) {
	t.Helper()
	bc := &broadcastRecorder{}
	ts, rec, svc := messageFixtureWith(t, func(d *message.Deps) { d.Broadcast = bc }, opts...)
	ts.must(t, pathAddMembers, `{"GroupId":"@TGS#_hub","MemberList":[{"Member_Account":"ann"},{"Member_Account":"bob"}]}`, 0)
	for _, id := range []string{topicA, topicB} {
		ts.must(t, pathCreateTopic, jsonBody(t, map[string]any{"GroupId": "@TGS#_hub", "TopicId": id, "TopicName": id[len(id)-1:]}), 0)
	}
	rec.take()
	return ts, rec, bc, svc
}

// sendSeq sends a text message and returns its MsgSeq.
func sendSeq(t *testing.T, ts *testServer, group string, random int, fields map[string]any) int64 {
	t.Helper()
	return num(t, ts.must(t, pathSendGroupMsg, sendBody(t, group, random, fields), 0)["MsgSeq"])
}

// historySeqs pulls a stream's newest messages: their MsgSeqs and the
// messages.
func historySeqs(t *testing.T, ts *testServer, body map[string]any) ([]int64, []map[string]any) {
	t.Helper()
	if body["ReqMsgNumber"] == nil {
		body["ReqMsgNumber"] = 20
	}
	msgs := list(t, ts.must(t, pathGroupHistory, jsonBody(t, body), 0)["RspMsgList"])
	out := []int64{}
	for _, m := range msgs {
		out = append(out, num(t, m["MsgSeq"]))
	}
	return out, msgs
}

// onlyPush returns the one push made since the last take, failing
// otherwise.
func onlyPush(t *testing.T, rec *pushRecorder) pushed {
	t.Helper()
	got := rec.take()
	if len(got) != 1 {
		t.Fatalf("pushes %+v, want one", got)
	}
	return got[0]
}

// seqList is a MsgSeqList of MsgSeq 1 to n.
func seqList(n int) []any {
	out := []any{}
	for i := range n {
		out = append(out, map[string]any{"MsgSeq": i + 1})
	}
	return out
}
