package storetest

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// errDecline is what a test's decide or apply function refuses with.
var errDecline = errors.New("declined")

// mustAppendGroup appends kept messages of sender to a stream, returning
// their MsgSeqs.
func mustAppendGroup(t *testing.T, s im.Store, st im.MsgStream, from string, texts ...string) []int64 {
	t.Helper()
	var out []int64
	for i, text := range texts {
		m := inTopic(message(st.AppID, st.GroupID, from, int64(100+i), text), st.TopicID)
		res := appendAll(t, s, []im.GroupAppend{{Msg: *m, Keep: true}})
		ok(t, "append", res[0].Err)
		out = append(out, res[0].GroupSeq)
	}
	return out
}

func testRecall(t *testing.T, open func(t *testing.T) im.Store) {
	s := fresh(t, open)
	mustCreate(t, s, group(app1, "g", im.GroupPublic))
	mustCreate(t, s, group(app1, "c", im.GroupCommunity))
	ok(t, "create topic", s.CreateTopic(t.Context(), topic(app1, "c", "c@TOPIC#_t", 20), 10))
	g := im.MsgStream{AppID: app1, GroupID: "g"}
	seq := mustAppendGroup(t, s, g, "a", "one", "two", "three") // 42, 43, 44
	var asked []int64
	decide := func(m *im.GroupMessage) error {
		asked = append(asked, m.Seq)
		if m.Seq == 44 {
			return errDecline
		}
		return nil
	}
	var built [][]int64
	events := func(recalled []int64) im.StreamWrite {
		built = append(built, recalled)
		return eventOf("g", "recalled "+seqText(recalled))
	}
	errs, done, err := s.RecallGroupMessages(t.Context(), g, []int64{42, 99, 44, 43, 42}, decide, events)
	ok(t, "recall", err)
	equal(t, "per message", errs, []error{nil, im.ErrNotFound, errDecline, nil, nil})
	equal(t, "decide asked about each stored message once", asked, []int64{42, 44, 43})
	equal(t, "events built from what was recalled", built, [][]int64{{42, 43}})
	equal(t, "committed events", done.Result.GroupEventSeqs, []int64{1})
	equal(t, "in the group's stream", groupEvents(t, s, "g", 0), []string{string(payload("recalled [42,43]"))})

	all, err := s.GetGroupMessages(t.Context(), g, seq)
	ok(t, "get", err)
	for _, n := range []int64{42, 43} {
		m := all[n]
		equal(t, fmt.Sprint("recalled ", n), []any{m.Recalled, string(m.Body), m.CloudCustomData}, []any{true, "[]", ""})
	}
	equal(t, "declined message kept", all[44].Recalled, false)
	visible, err := s.ListHistory(t.Context(), g, math.MaxInt64, 10, false)
	ok(t, "history", err)
	equal(t, "recalled messages leave the history", seqs(visible), []int64{44})
	equal(t, "unless asked for", streamSeqs(t, s, g), []int64{44, 43, 42})

	errs, done, err = s.RecallGroupMessages(t.Context(), g, []int64{44}, func(*im.GroupMessage) error { return errDecline }, events)
	ok(t, "recall nothing", err)
	if errs[0] != errDecline || done != nil || len(built) != 1 {
		t.Fatalf("nothing recalled: errs %v, committed %v, events built %d times", errs, done, len(built))
	}

	tp := im.MsgStream{AppID: app1, GroupID: "c", TopicID: "c@TOPIC#_t"}
	mustAppendGroup(t, s, tp, "a", "in topic")                                      // 7
	mustAppendGroup(t, s, im.MsgStream{AppID: app1, GroupID: "c"}, "a", "in group") // 42
	errs, _, err = s.RecallGroupMessages(t.Context(), tp, []int64{7, 42}, func(*im.GroupMessage) error { return nil },
		func(r []int64) im.StreamWrite { return eventOf("c", "recalled "+seqText(r)) })
	ok(t, "recall in a topic", err)
	equal(t, "a topic's numbers are its own", errs, []error{nil, im.ErrNotFound})
	equal(t, "the community's stream", groupEvents(t, s, "c", 0), []string{string(payload("recalled [7]"))})
}

func testRecallBySender(t *testing.T, open func(t *testing.T) im.Store) {
	s := fresh(t, open)
	mustCreate(t, s, group(app1, "g", im.GroupPublic))
	g := im.MsgStream{AppID: app1, GroupID: "g"}
	mustAppendGroup(t, s, g, "spam", "s1")       // 42
	mustAppendGroup(t, s, g, "ok", "o1")         // 43
	mustAppendGroup(t, s, g, "spam", "s2", "s3") // 44, 45
	mustAppendGroup(t, s, g, "ok", "o2")         // 46
	events := func(r []int64) im.StreamWrite { return eventOf("g", "silent "+seqText(r)) }
	got, done, err := s.RecallBySender(t.Context(), g, "spam", 4, events)
	ok(t, "recall by sender", err)
	equal(t, "within the newest 4", got, []int64{44, 45})
	equal(t, "event", done.Result.GroupEventSeqs, []int64{1})
	visible, err := s.ListHistory(t.Context(), g, math.MaxInt64, 10, false)
	ok(t, "history", err)
	equal(t, "left", seqs(visible), []int64{46, 43, 42})

	got, done, err = s.RecallBySender(t.Context(), g, "spam", 4, events)
	ok(t, "again", err)
	if len(got) != 0 || done != nil {
		t.Fatalf("nothing left to recall: got %v, committed %v", got, done)
	}
	got, _, err = s.RecallBySender(t.Context(), im.MsgStream{AppID: app1, GroupID: "empty"}, "spam", 4, events)
	ok(t, "a stream without messages", err)
	equal(t, "nothing", len(got), 0)
	equal(t, "one event in all", len(groupEvents(t, s, "g", 0)), 1)
}

func testModify(t *testing.T, open func(t *testing.T) im.Store) {
	s := fresh(t, open)
	mustCreate(t, s, group(app1, "g", im.GroupPublic))
	g := im.MsgStream{AppID: app1, GroupID: "g"}
	mustAppendGroup(t, s, g, "a", "before") // 42
	apply := func(m *im.GroupMessage) error {
		m.Body, m.CloudCustomData = []byte(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"after"}}]`), "cc after"
		return nil
	}
	var seen *im.GroupMessage
	events := func(m *im.GroupMessage) im.StreamWrite {
		seen = m
		return eventOf("g", "modified")
	}
	got, done, err := s.ModifyGroupMessage(t.Context(), g, 42, apply, events)
	ok(t, "modify", err)
	equal(t, "events see the message as stored", seen, got)
	equal(t, "event", done.Result.GroupEventSeqs, []int64{1})
	stored, err := s.GetGroupMessages(t.Context(), g, []int64{42})
	ok(t, "get", err)
	equal(t, "stored", stored[42], *got)
	equal(t, "content", []string{string(got.Body), got.CloudCustomData}, []string{`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"after"}}]`, "cc after"})

	_, _, err = s.ModifyGroupMessage(t.Context(), g, 42, func(*im.GroupMessage) error { return errDecline }, events)
	wantErr(t, "apply refuses", err, errDecline)
	_, _, err = s.ModifyGroupMessage(t.Context(), g, 43, apply, events)
	wantErr(t, "no such message", err, im.ErrNotFound)
	equal(t, "one event in all", len(groupEvents(t, s, "g", 0)), 1)
}

func testReadReceipts(t *testing.T, open func(t *testing.T) im.Store) {
	s := fresh(t, open)
	users(t, s, "sender", "other")
	mustCreate(t, s, group(app1, "g", im.GroupPublic), member("sender", im.RoleOwner, 1), member("r1", im.RoleMember, 2),
		member("r2", im.RoleMember, 3), member("r3", im.RoleMember, 4))
	g := im.MsgStream{AppID: app1, GroupID: "g"}
	var want []int64
	for i, from := range []string{"sender", "sender", "other", "r1"} {
		m := message(app1, "g", from, int64(10+i), "m")
		m.NeedReadReceipt = i != 1
		res := appendAll(t, s, []im.GroupAppend{{Msg: *m, Keep: true}})
		want = append(want, res[0].GroupSeq) // 42 asks, 43 does not, 44 asks (from other), 45 asks (from r1)
	}
	events := func(changed []im.ReadChange) im.StreamWrite {
		w := im.StreamWrite{AppID: app1, Time: 1}
		for _, c := range changed {
			w.UserEvents = append(w.UserEvents, im.UserEventAppend{UserID: c.From, Payload: payload(fmt.Sprint(c.Seq, " read by ", c.ReadNum)), ExpireAt: 100})
		}
		return w
	}
	changed, done, err := s.MarkGroupMessagesRead(t.Context(), app1, "g", "r1", []int64{45, 44, 43, 42, 99}, 5, events)
	ok(t, "read", err)
	equal(t, "counted: receipts asked for, not one's own", changed, []im.ReadChange{{Seq: 42, From: "sender", ReadNum: 1}, {Seq: 44, From: "other", ReadNum: 1}})
	equal(t, "the senders' streams", done.Result.UserSeqs, []int64{1, 1})
	got, _ := userEvents(t, s, "sender", 0, 0)
	equal(t, "sender's notice", got, []string{"1:42 read by 1"})
	changed, done, err = s.MarkGroupMessagesRead(t.Context(), app1, "g", "r1", []int64{42}, 6, events)
	ok(t, "read again", err)
	if len(changed) != 0 || done != nil {
		t.Fatalf("a second receipt counts nothing: %v %v", changed, done)
	}
	_, _, err = s.MarkGroupMessagesRead(t.Context(), app1, "g", "r2", []int64{42}, 7, events)
	ok(t, "read", err)
	msgs, err := s.GetGroupMessages(t.Context(), g, want)
	ok(t, "get", err)
	equal(t, "read counts", []int{msgs[42].ReadNum, msgs[43].ReadNum, msgs[44].ReadNum, msgs[45].ReadNum}, []int{2, 0, 1, 0})

	readers, err := s.ListReaders(t.Context(), app1, "g", 42, "", 1)
	ok(t, "readers", err)
	equal(t, "first page", readers, []string{"r1"})
	readers, err = s.ListReaders(t.Context(), app1, "g", 42, "r1", 10)
	ok(t, "readers", err)
	equal(t, "next page", readers, []string{"r2"})
	non, err := s.ListNonReaders(t.Context(), app1, "g", 42, "sender", "", 10)
	ok(t, "non-readers", err)
	equal(t, "members but the sender and the readers", non, []string{"r3"})
	non, err = s.ListNonReaders(t.Context(), app1, "g", 44, "other", "r1", 10)
	ok(t, "non-readers", err)
	equal(t, "after a cursor", non, []string{"r2", "r3", "sender"})
	non, err = s.ListNonReaders(t.Context(), app1, "g", 44, "other", "", 2)
	ok(t, "non-readers", err)
	equal(t, "a page", non, []string{"r2", "r3"})
}

func testBroadcasts(t *testing.T, open func(t *testing.T) im.Store) {
	s := fresh(t, open)
	send := func(app uint64, time int64, random uint32, hash int64) []any {
		t.Helper()
		seq, at, dup, err := s.CommitBroadcast(t.Context(), im.Broadcast{AppID: app, Time: time, Random: random, ContentHash: hash, DedupSince: time - 300})
		ok(t, "broadcast", err)
		return []any{seq, at, dup}
	}
	equal(t, "first", send(app1, 1000, 7, 1), []any{int64(1), int64(1000), false})
	equal(t, "second", send(app1, 1001, 7, 2), []any{int64(2), int64(1001), false})
	equal(t, "the same again", send(app1, 1200, 7, 1), []any{int64(1), int64(1000), true})
	equal(t, "another app counts its own", send(app2, 1200, 7, 1), []any{int64(1), int64(1200), false})
	equal(t, "the window passed", send(app1, 1301, 7, 1), []any{int64(3), int64(1301), false})
}
