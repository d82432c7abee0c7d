package storetest

import (
	"fmt"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// RunOutbox checks im.OutboxStore and the callbacks CommitStream stores.
func RunOutbox(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("CommitStream", func(t *testing.T) { testOutboxCommit(t, open) })
	t.Run("AppendDelete", func(t *testing.T) { testOutboxAppendDelete(t, open) })
	t.Run("Leases", func(t *testing.T) { testOutboxLeases(t, open) })
	t.Run("Unread", func(t *testing.T) { testOutboxUnread(t, open) })
}

// callback is a callback of owner with the given seq.
func callback(owner string, seq int64, lane string) im.Callback {
	return im.Callback{Key: fmt.Sprintf("%s-%d", owner, seq), Owner: owner, Seq: seq, AppID: app1, Lane: lane,
		Request: []byte(fmt.Sprintf(`{"c":"Test","n":%d}`, seq))}
}

// takeKeys takes over for node and lists what it got, as key:msgSeq:msgTime.
func takeKeys(t *testing.T, s im.Store, node string, now int64) []string {
	t.Helper()
	got, err := s.TakeOverCallbacks(t.Context(), node, now)
	ok(t, "take over callbacks", err)
	out := []string{}
	for _, cb := range got {
		if cb.Owner != node || cb.AppID != app1 || string(cb.Request) != fmt.Sprintf(`{"c":"Test","n":%d}`, cb.Seq) {
			t.Fatalf("taken callback %+v: owner, app or request changed", cb)
		}
		out = append(out, fmt.Sprintf("%s:%d:%d", cb.Key, cb.MsgSeq, cb.MsgTime))
	}
	return out
}

// testOutboxCommit: CommitStream stores the callbacks of the writes it
// commits, with the MsgSeq and MsgTime a group message took, and none of
// a duplicate or of a write whose group is missing; a batch without
// callbacks stores none.
func testOutboxCommit(t *testing.T, open func(t *testing.T) im.Store) {
	s := fresh(t, open)
	users(t, s, "alice", "bob")
	mustCreate(t, s, group(app1, "g", im.GroupPublic), member("alice", im.RoleOwner, 10))
	groupWrite := func(text string, time int64, cbs ...im.Callback) im.StreamWrite {
		m := message(app1, "g", "alice", time, text)
		return im.StreamWrite{AppID: app1, Time: time, Group: &im.GroupAppend{Msg: *m, Keep: true, ContentHash: int64(len(text)), DedupSince: 1},
			Callbacks: cbs}
	}
	m := c2c("alice", "bob", 1, 1, 500, "hi")
	res, err := s.CommitStream(t.Context(), []im.StreamWrite{
		groupWrite("one", 100, callback("n1", 1, "group g")),
		{AppID: app1, Time: 500, C2C: &im.C2CAppend{Msg: m, Keep: true, ContentHash: 1, DedupSince: 400},
			Callbacks: []im.Callback{callback("n1", 2, "c2c"), callback("n1", 3, "c2c")}},
		groupWrite("one", 101, callback("n1", 4, "group g")), // a duplicate of the first
		{AppID: app1, Time: 100, Group: &im.GroupAppend{Msg: *message(app1, "nope", "alice", 100, "x"), Keep: true},
			Callbacks: []im.Callback{callback("n1", 5, "group nope")}},
		groupWrite("second", 102, callback("n1", 6, "group g")),
		groupWrite("the third", 103),
	})
	ok(t, "commit", err)
	if !res[2].Duplicate || res[3].Err == nil {
		t.Fatalf("results %+v: want write 2 a duplicate and write 3 missing", res)
	}
	// The same message again, in a later batch: a duplicate stores nothing.
	_, err = s.CommitStream(t.Context(), []im.StreamWrite{{AppID: app1, Time: 501,
		C2C: &im.C2CAppend{Msg: m, Keep: true, ContentHash: 1, DedupSince: 400}, Callbacks: []im.Callback{callback("n1", 7, "c2c")}}})
	ok(t, "commit duplicate", err)
	ok(t, "lease n2", s.RenewOutboxLease(t.Context(), "n2", 5000))
	equal(t, "stored callbacks", takeKeys(t, s, "n2", 1000), []string{
		fmt.Sprintf("n1-1:%d:100", res[0].GroupSeq), "n1-2:0:0", "n1-3:0:0", fmt.Sprintf("n1-6:%d:102", res[4].GroupSeq),
	})
	equal(t, "taken twice from a live node", takeKeys(t, s, "n3", 1000), []string{})
}

// testOutboxUnread: on an engine that counts in the commit, a committed
// write whose callback names a user (UnreadOf) gets that user's unread
// one-to-one total as the commit left it, the count CountC2CUnreadTotal
// reads; a duplicate and a write whose callbacks name nobody get none.
// An engine that does not count reports none.
func testOutboxUnread(t *testing.T, open func(t *testing.T) im.Store) {
	s := fresh(t, open)
	users(t, s, "alice", "bob", "carol", "dave")
	write := func(m im.C2CMessage, unreadOf string) im.StreamWrite {
		cb := callback("n1", int64(m.Seq), "c2c")
		cb.UnreadOf = unreadOf
		return im.StreamWrite{AppID: app1, Time: m.Time, C2C: &im.C2CAppend{Msg: m, Keep: true, ContentHash: int64(m.Seq), DedupSince: 1},
			Callbacks: []im.Callback{cb}}
	}
	_, err := s.CommitStream(t.Context(), []im.StreamWrite{write(c2c("carol", "bob", 1, 1, 100, "earlier"), "")})
	ok(t, "commit earlier", err)
	res, err := s.CommitStream(t.Context(), []im.StreamWrite{
		write(c2c("alice", "bob", 2, 2, 200, "one"), "bob"),
		write(c2c("alice", "bob", 3, 3, 201, "two"), "bob"),
		write(c2c("bob", "dave", 4, 4, 202, "three"), "dave"),
		write(c2c("bob", "alice", 5, 5, 203, "four"), ""),
		write(c2c("carol", "bob", 1, 1, 100, "earlier"), "bob"), // a duplicate
	})
	ok(t, "commit", err)
	got := []string{}
	for _, r := range res {
		got = append(got, fmt.Sprint(r.UnreadCounted, r.Unread))
	}
	if res[0].UnreadCounted {
		equal(t, "unread totals", got, []string{"true 3", "true 3", "true 1", "false 0", "false 0"})
	} else {
		equal(t, "unread totals (not counted)", got, []string{"false 0", "false 0", "false 0", "false 0", "false 0"})
	}
	total, err := s.CountC2CUnreadTotal(t.Context(), app1, "bob")
	ok(t, "count bob", err)
	equal(t, "bob's total read afterwards", total, int64(3))
}

// testOutboxAppendDelete: appended callbacks are deleted by key, unknown
// keys ignored; a node never takes over its own.
func testOutboxAppendDelete(t *testing.T, open func(t *testing.T) im.Store) {
	s := fresh(t, open)
	ok(t, "append none", s.AppendCallbacks(t.Context(), nil))
	ok(t, "delete none", s.DeleteCallbacks(t.Context(), nil))
	var cbs []im.Callback
	for seq := int64(1); seq <= 5; seq++ {
		cbs = append(cbs, callback("n1", seq, "x"))
	}
	ok(t, "append", s.AppendCallbacks(t.Context(), cbs))
	ok(t, "append another's", s.AppendCallbacks(t.Context(), []im.Callback{callback("n2", 9, "x")}))
	ok(t, "delete", s.DeleteCallbacks(t.Context(), []string{"n1-2", "n1-4", "n1-404"}))
	equal(t, "own rows are not taken over", takeKeys(t, s, "n1", 1000), []string{"n2-9:0:0"})
	equal(t, "left", takeKeys(t, s, "n3", 1000), []string{"n1-1:0:0", "n1-3:0:0", "n1-5:0:0", "n2-9:0:0"})
	if err := s.AppendCallbacks(t.Context(), []im.Callback{callback("n1", 1, "x")}); err == nil {
		t.Fatal("a key stored twice was accepted")
	}
}

// testOutboxLeases: rows of a node with a lease are not taken until it
// expires or is released; a taken-over node's lease is forgotten.
func testOutboxLeases(t *testing.T, open func(t *testing.T) im.Store) {
	s := fresh(t, open)
	ok(t, "lease a", s.RenewOutboxLease(t.Context(), "a", 2000))
	ok(t, "lease b", s.RenewOutboxLease(t.Context(), "b", 2000))
	ok(t, "append", s.AppendCallbacks(t.Context(), []im.Callback{callback("a", 2, "x"), callback("a", 1, "y"), callback("b", 3, "x")}))
	equal(t, "alive", takeKeys(t, s, "c", 1999), []string{})
	ok(t, "renew a", s.RenewOutboxLease(t.Context(), "a", 3000))
	equal(t, "b expired", takeKeys(t, s, "c", 2000), []string{"b-3:0:0"})
	ok(t, "release a", s.ReleaseOutboxLease(t.Context(), "a"))
	equal(t, "a released, in seq order", takeKeys(t, s, "c", 2500), []string{"a-1:0:0", "a-2:0:0"})
	// b's lease was forgotten when its rows were taken: renewing it again
	// (b came back) protects what b writes from now on.
	ok(t, "lease b again", s.RenewOutboxLease(t.Context(), "b", 5000))
	ok(t, "append b", s.AppendCallbacks(t.Context(), []im.Callback{callback("b", 4, "x")}))
	equal(t, "b alive again", takeKeys(t, s, "c", 4000), []string{})
}
