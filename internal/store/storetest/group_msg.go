package storetest

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// RunGroupMessages checks the group-message half of im.MessageStore:
// topic streams, SendMsgControl, imports, recalls, modifications, read
// receipts and broadcasts.
func RunGroupMessages(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("TopicStreams", func(t *testing.T) { testTopicStreams(t, open) })
	t.Run("SendMsgControl", func(t *testing.T) { testSendMsgControl(t, open) })
	t.Run("Import", func(t *testing.T) { testImport(t, open) })
	t.Run("Recall", func(t *testing.T) { testRecall(t, open) })
	t.Run("RecallBySender", func(t *testing.T) { testRecallBySender(t, open) })
	t.Run("Modify", func(t *testing.T) { testModify(t, open) })
	t.Run("ReadReceipts", func(t *testing.T) { testReadReceipts(t, open) })
	t.Run("Broadcasts", func(t *testing.T) { testBroadcasts(t, open) })
}

// inTopic is message m in a topic.
func inTopic(m *im.GroupMessage, topicID string) *im.GroupMessage {
	m.TopicID = topicID
	return m
}

// appendAll commits messages with AppendGroupMessages, each kept with its
// own duplicate key (its index) unless how says otherwise.
func appendAll(t *testing.T, s im.Store, how []im.GroupAppend) []im.StreamResult {
	t.Helper()
	res, err := s.AppendGroupMessages(t.Context(), how)
	ok(t, "append group messages", err)
	return res
}

// streamSeqs lists a stream's stored messages, newest first, recalled ones
// included.
func streamSeqs(t *testing.T, s im.Store, st im.MsgStream) []int64 {
	t.Helper()
	got, err := s.ListHistory(t.Context(), st, math.MaxInt64, 1000, true)
	ok(t, "history", err)
	return seqs(got)
}

func testTopicStreams(t *testing.T, open func(t *testing.T) im.Store) {
	s := fresh(t, open)
	mustCreate(t, s, group(app1, "c", im.GroupCommunity), member("alice", im.RoleOwner, 10))
	for _, id := range []string{"c@TOPIC#_a", "c@TOPIC#_b"} {
		ok(t, "create topic", s.CreateTopic(t.Context(), topic(app1, "c", id, 20), 10))
	}
	a, b := im.MsgStream{AppID: app1, GroupID: "c", TopicID: "c@TOPIC#_a"}, im.MsgStream{AppID: app1, GroupID: "c", TopicID: "c@TOPIC#_b"}
	m1 := inTopic(message(app1, "c", "alice", 100, "a1"), a.TopicID)
	m2 := inTopic(message(app1, "c", "alice", 101, "b1"), b.TopicID)
	m3 := inTopic(message(app1, "c", "alice", 102, "a2"), a.TopicID)
	m4 := message(app1, "c", "alice", 103, "group")
	m5 := inTopic(message(app1, "c", "alice", 104, "gone"), "c@TOPIC#_nope")
	res := appendAll(t, s, []im.GroupAppend{
		{Msg: *m1, Keep: true, ContentHash: 1, DedupSince: 1},
		{Msg: *m2, Keep: true, ContentHash: 2, DedupSince: 1},
		{Msg: *m3, Keep: true, ContentHash: 3, DedupSince: 1},
		{Msg: *m4, Keep: true, ContentHash: 4, DedupSince: 1},
		{Msg: *m5, Keep: true, ContentHash: 5, DedupSince: 1},
	})
	var got []int64
	for _, r := range res[:4] {
		ok(t, "result", r.Err)
		got = append(got, r.GroupSeq)
	}
	equal(t, "each topic counts from its own counter, the group from its", got, []int64{7, 7, 8, 42})
	wantErr(t, "no such topic", res[4].Err, im.ErrNotFound)

	m1.Seq, m3.Seq = 7, 8
	list, err := s.ListHistory(t.Context(), a, math.MaxInt64, 10, false)
	ok(t, "topic history", err)
	equal(t, "topic a, every field", list, []im.GroupMessage{*m3, *m1})
	equal(t, "topic b", streamSeqs(t, s, b), []int64{7})
	equal(t, "the group's own", streamSeqs(t, s, im.MsgStream{AppID: app1, GroupID: "c"}), []int64{42})
	after, err := s.ListMessagesAfter(t.Context(), a, 7, 10)
	ok(t, "after", err)
	equal(t, "topic a after 7", seqs(after), []int64{8})
	byNumber, err := s.GetGroupMessages(t.Context(), a, []int64{8, 9, 42})
	ok(t, "get", err)
	equal(t, "topic a by number", byNumber, map[int64]im.GroupMessage{8: *m3})

	ta, err := s.GetTopic(t.Context(), app1, "c", a.TopicID)
	ok(t, "get topic", err)
	equal(t, "topic counter and last message", []int64{ta.NextMsgSeq, ta.LastMsgTime}, []int64{9, 102})
	equal(t, "group counter", mustGet(t, s, app1, "c").NextMsgSeq, int64(43))

	// Duplicates: the same key in the same topic is one message.
	dup := appendAll(t, s, []im.GroupAppend{{Msg: *inTopic(message(app1, "c", "alice", 110, "a1"), a.TopicID), Keep: true, ContentHash: 1, DedupSince: 50}})
	equal(t, "duplicate", dup[0], im.StreamResult{Duplicate: true, GroupSeq: 7, GroupTime: 100})
	twice := appendAll(t, s, []im.GroupAppend{
		{Msg: *inTopic(message(app1, "c", "alice", 120, "x"), b.TopicID), Keep: true, ContentHash: 9, DedupSince: 100},
		{Msg: *inTopic(message(app1, "c", "alice", 120, "x"), b.TopicID), Keep: true, ContentHash: 9, DedupSince: 100},
	})
	equal(t, "twice in one batch", []im.StreamResult{twice[0], twice[1]}, []im.StreamResult{
		{GroupSeq: 8, GroupTime: 120}, {Duplicate: true, GroupSeq: 8, GroupTime: 120}})
	notKept := appendAll(t, s, []im.GroupAppend{{Msg: *inTopic(message(app1, "c", "alice", 130, "y"), b.TopicID), ContentHash: 10}})
	equal(t, "an online-only message takes a number", notKept[0].GroupSeq, int64(9))
	equal(t, "and is not stored", streamSeqs(t, s, b), []int64{8, 7})

	missing := appendAll(t, s, []im.GroupAppend{{Msg: *inTopic(message(app2, "c", "alice", 1, "x"), "c@TOPIC#_a"), Keep: true}})
	wantErr(t, "group of another app", missing[0].Err, im.ErrNotFound)

	ok(t, "delete topic", s.DeleteTopic(t.Context(), app1, "c", a.TopicID))
	equal(t, "a deleted topic's messages go with it", streamSeqs(t, s, a), []int64{})
}

func testSendMsgControl(t *testing.T, open func(t *testing.T) im.Store) {
	s := fresh(t, open)
	mustCreate(t, s, group(app1, "g", im.GroupPublic))
	plain, quiet := message(app1, "g", "a", 10, "plain"), message(app1, "g", "a", 11, "quiet")
	quiet.NoUnread, quiet.NoLastMsg = true, true
	res := appendAll(t, s, []im.GroupAppend{{Msg: *plain, Keep: true}, {Msg: *quiet, Keep: true}})
	plain.Seq, quiet.Seq = res[0].GroupSeq, res[1].GroupSeq
	got, err := s.ListHistory(t.Context(), im.MsgStream{AppID: app1, GroupID: "g"}, math.MaxInt64, 10, false)
	ok(t, "history", err)
	equal(t, "stored with the message", got, []im.GroupMessage{*quiet, *plain})
}

func testImport(t *testing.T, open func(t *testing.T) im.Store) {
	s := fresh(t, open)
	g := group(app1, "g", im.GroupPublic) // created 1700000000, last message 1700000200
	mustCreate(t, s, g)
	mustCreate(t, s, group(app1, "c", im.GroupCommunity))
	ok(t, "create topic", s.CreateTopic(t.Context(), topic(app1, "c", "c@TOPIC#_t", 1700000500), 10))
	const now = 1800000000
	at := func(time int64, text string) im.GroupAppend {
		return im.GroupAppend{Msg: *message(app1, "g", "a", time, text), Keep: true, ContentHash: time}
	}
	st := im.MsgStream{AppID: app1, GroupID: "g"}
	res, err := s.ImportGroupMessages(t.Context(), st, []im.GroupAppend{
		at(1700000100, "before the newest"),
		at(1700000200, "with the newest"),
		at(1700000300, "later"),
		at(1700000250, "out of order"),
		at(1700000300, "same second"),
		at(now+1, "future"),
		at(now, "now"),
	}, now)
	ok(t, "import", err)
	var got []any
	for _, r := range res {
		if r.Err != nil {
			got = append(got, r.Err)
		} else {
			got = append(got, r.GroupSeq)
		}
	}
	equal(t, "results", got, []any{im.ErrMsgTime, int64(42), int64(43), im.ErrMsgTime, int64(44), im.ErrMsgTime, int64(45)})
	equal(t, "last message time", mustGet(t, s, app1, "g").LastMsgTime, int64(now))
	res, err = s.ImportGroupMessages(t.Context(), st, []im.GroupAppend{at(now-1, "older than the import")}, now)
	ok(t, "import", err)
	wantErr(t, "before the imported", res[0].Err, im.ErrMsgTime)

	ts := im.MsgStream{AppID: app1, GroupID: "c", TopicID: "c@TOPIC#_t"}
	inT := func(time int64) im.GroupAppend {
		a := at(time, "t")
		a.Msg.GroupID, a.Msg.TopicID = "c", ts.TopicID
		return a
	}
	res, err = s.ImportGroupMessages(t.Context(), ts, []im.GroupAppend{inT(1700000499), inT(1700000502)}, now)
	ok(t, "import into a topic", err)
	wantErr(t, "before the topic's last message", res[0].Err, im.ErrMsgTime)
	equal(t, "topic MsgSeq", res[1].GroupSeq, int64(7))
	equal(t, "topic history", streamSeqs(t, s, ts), []int64{7})

	_, err = s.ImportGroupMessages(t.Context(), im.MsgStream{AppID: app1, GroupID: "nope"}, []im.GroupAppend{at(1, "x")}, now)
	wantErr(t, "no such group", err, im.ErrNotFound)
	_, err = s.ImportGroupMessages(t.Context(), im.MsgStream{AppID: app1, GroupID: "c", TopicID: "c@TOPIC#_nope"}, []im.GroupAppend{inT(1)}, now)
	wantErr(t, "no such topic", err, im.ErrNotFound)
}

// groupEvents lists the payloads of a group's event stream after after.
func groupEvents(t *testing.T, s im.Store, groupID string, after int64) []string {
	t.Helper()
	evs, err := s.ListGroupEvents(t.Context(), app1, groupID, after, 100)
	ok(t, "group events", err)
	out := []string{}
	for _, e := range evs {
		out = append(out, string(e.Payload))
	}
	return out
}

// eventOf is a group event write carrying text.
func eventOf(groupID, text string) im.StreamWrite {
	return im.StreamWrite{AppID: app1, Time: 1, GroupEvents: []im.GroupEventAppend{{GroupID: groupID, Payload: payload(text)}}}
}

// seqText formats message numbers for an event payload.
func seqText(seqs []int64) string {
	b, _ := json.Marshal(seqs)
	return string(b)
}
