package storetest

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// history lists the MsgSeqs of a group's stored messages, newest first.
func history(t *testing.T, s im.MessageStore, app uint64, groupID string) []int64 {
	t.Helper()
	got, err := s.ListGroupMessages(t.Context(), app, groupID, math.MaxInt64, 1000)
	ok(t, "list messages of "+groupID, err)
	return seqs(got)
}

// message builds a group message with every field set.
func message(app uint64, groupID, from string, time int64, text string) *im.GroupMessage {
	return &im.GroupMessage{
		AppID: app, GroupID: groupID, From: from, Time: time, Random: math.MaxUint32, Priority: im.PriorityHigh,
		Body:            json.RawMessage(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":` + fmt.Sprintf("%q", text) + `}}]`),
		CloudCustomData: "custom of " + text,
		OfflinePushInfo: json.RawMessage(`{"PushFlag":0,"Desc":"` + text + `"}`),
	}
}

// kept stores a message in history, with a duplicate key of its own.
func kept(hash int64) im.GroupAppend {
	return im.GroupAppend{Keep: true, ContentHash: hash}
}

// appended is where a group message went.
type appended struct {
	Seq       int64
	Time      int64
	Duplicate bool
}

// appendMessage commits m alone, as how says.
func appendMessage(t *testing.T, s im.StreamStore, m *im.GroupMessage, how im.GroupAppend) (appended, error) {
	t.Helper()
	how.Msg = *m
	res, err := s.CommitStream(t.Context(), []im.StreamWrite{{AppID: m.AppID, Time: m.Time, Group: &how}})
	if err != nil {
		return appended{}, err
	}
	if res[0].Err != nil {
		return appended{}, res[0].Err
	}
	return appended{Seq: res[0].GroupSeq, Time: res[0].GroupTime, Duplicate: res[0].Duplicate}, nil
}

// mustAppend appends m and checks it was not taken for a duplicate.
func mustAppend(t *testing.T, s im.StreamStore, m *im.GroupMessage, how im.GroupAppend) int64 {
	t.Helper()
	at, err := appendMessage(t, s, m, how)
	ok(t, "append message", err)
	if at.Duplicate || at.Time != m.Time {
		t.Fatalf("append: got %+v for a new message at %d", at, m.Time)
	}
	return at.Seq
}

// seqs lists the messages' MsgSeqs in order.
func seqs(s []im.GroupMessage) []int64 {
	out := []int64{}
	for _, m := range s {
		out = append(out, m.Seq)
	}
	return out
}

// RunMessages checks im.MessageStore.
func RunMessages(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("AppendAndList", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic), member("alice", im.RoleOwner, 10))
		mustCreate(t, s, group(app2, "g", im.GroupPublic))
		var want []im.GroupMessage
		for i, text := range []string{"one", "two", "three"} {
			m := message(app1, "g", "alice", 2000+int64(i), text)
			m.Seq = 999 // ignored: the store assigns it
			m.Seq = mustAppend(t, s, m, kept(int64(i)))
			equal(t, "MsgSeq continues the group's counter", m.Seq, int64(42+i))
			want = append([]im.GroupMessage{*m}, want...)
		}
		got, err := s.ListGroupMessages(t.Context(), app1, "g", math.MaxInt64, 10)
		ok(t, "list", err)
		equal(t, "newest first, every field", got, want)

		g := mustGet(t, s, app1, "g")
		equal(t, "next MsgSeq", g.NextMsgSeq, int64(45))
		equal(t, "last message time", g.LastMsgTime, int64(2002))
		members, err := s.ListMembers(t.Context(), app1, "g")
		ok(t, "list members", err)
		equal(t, "sender's last send time", members[0].LastSendMsgTime, int64(2002))

		for _, tt := range []struct {
			name   string
			app    uint64
			group  string
			maxSeq int64
			limit  int
			want   []int64
		}{
			{"a page", app1, "g", math.MaxInt64, 2, []int64{44, 43}},
			{"below a seq", app1, "g", 43, 10, []int64{43, 42}},
			{"at the first", app1, "g", 42, 10, []int64{42}},
			{"below the first", app1, "g", 41, 10, []int64{}},
			{"no messages", app2, "g", math.MaxInt64, 10, []int64{}},
			{"no such group", app1, "nope", math.MaxInt64, 10, []int64{}},
		} {
			got, err := s.ListGroupMessages(t.Context(), tt.app, tt.group, tt.maxSeq, tt.limit)
			ok(t, tt.name, err)
			equal(t, tt.name, seqs(got), tt.want)
		}
	})

	t.Run("EmptyAndUnusualValues", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic))
		empty := &im.GroupMessage{AppID: app1, GroupID: "g", From: "admin", Time: 5, Priority: im.PriorityNormal,
			Body: json.RawMessage(`[{"MsgType":"TIMCustomElem","MsgContent":{}}]`)}
		odd := message(app1, "g", "admin", 6, "x")
		odd.CloudCustomData = "nul\x00, invalid \xff\xfe UTF-8, 'quotes' and \\ backslash"
		odd.Body = json.RawMessage(`[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"\u0000<&>\u2028 \"q\" \\ é😀"}}]`)
		empty.Seq = mustAppend(t, s, empty, kept(1))
		odd.Seq = mustAppend(t, s, odd, kept(2))
		got, err := s.ListGroupMessages(t.Context(), app1, "g", math.MaxInt64, 10)
		ok(t, "list", err)
		equal(t, "byte for byte", got, []im.GroupMessage{*odd, *empty})
	})

	t.Run("CounterStartsAtOne", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, &im.Group{AppID: app1, ID: "bare", Type: im.GroupPrivate})
		for want := int64(1); want <= 3; want++ {
			equal(t, "MsgSeq", mustAppend(t, s, message(app1, "bare", "a", 10, "m"), kept(want)), want)
		}
		equal(t, "next MsgSeq", mustGet(t, s, app1, "bare").NextMsgSeq, int64(4))
	})

	t.Run("NotKept", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "live", im.GroupAVChatRoom))
		mustCreate(t, s, group(app1, "g", im.GroupPublic))
		for i := range 3 {
			seq := mustAppend(t, s, message(app1, "live", "host", 100, "live"), im.GroupAppend{ContentHash: int64(i)})
			equal(t, "live MsgSeq", seq, int64(42+i))
		}
		mustAppend(t, s, message(app1, "g", "a", 100, "kept"), kept(1))
		mustAppend(t, s, message(app1, "g", "a", 100, "online only"), im.GroupAppend{ContentHash: 2})
		mustAppend(t, s, message(app1, "g", "a", 100, "kept"), kept(3))
		equal(t, "live history", history(t, s, app1, "live"), []int64{})
		equal(t, "history", history(t, s, app1, "g"), []int64{44, 42})
		equal(t, "live counter", mustGet(t, s, app1, "live").NextMsgSeq, int64(45))
	})

	t.Run("Duplicates", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic))
		mustCreate(t, s, group(app1, "live", im.GroupAVChatRoom))
		first := message(app1, "g", "a", 1000, "hi")
		mustAppend(t, s, first, im.GroupAppend{Keep: true, ContentHash: 7, DedupSince: 700})
		again := func(group string, time, since, hash int64, random uint32, keep bool) appended {
			t.Helper()
			m := message(app1, group, "a", time, "hi")
			m.Random = random
			at, err := appendMessage(t, s, m, im.GroupAppend{Keep: keep, ContentHash: hash, DedupSince: since})
			ok(t, "append", err)
			return at
		}
		dup := appended{Seq: 42, Time: 1000, Duplicate: true}
		equal(t, "same key in the window", again("g", 1200, 900, 7, math.MaxUint32, true), dup)
		equal(t, "same key, not to be kept", again("g", 1250, 950, 7, math.MaxUint32, false), dup)
		equal(t, "same key at the window's start", again("g", 1300, 1000, 7, math.MaxUint32, true), dup)
		equal(t, "other content", again("g", 1300, 1000, 8, math.MaxUint32, true), appended{Seq: 43, Time: 1300})
		equal(t, "other Random", again("g", 1300, 1000, 7, 1, true), appended{Seq: 44, Time: 1300})
		equal(t, "same key in another group", again("live", 1300, 1000, 7, math.MaxUint32, false), appended{Seq: 42, Time: 1300})
		equal(t, "same key, window passed", again("g", 1301, 1001, 7, math.MaxUint32, true), appended{Seq: 45, Time: 1301})
		equal(t, "the new message is the original now", again("g", 1400, 1100, 7, math.MaxUint32, true), appended{Seq: 45, Time: 1301, Duplicate: true})
		equal(t, "unkept messages are keys too", again("live", 1400, 1100, 7, math.MaxUint32, false), appended{Seq: 42, Time: 1300, Duplicate: true})

		equal(t, "duplicates are not stored", history(t, s, app1, "g"), []int64{45, 44, 43, 42})
		g := mustGet(t, s, app1, "g")
		equal(t, "duplicates take no MsgSeq", g.NextMsgSeq, int64(46))
		equal(t, "nor move the last message time", g.LastMsgTime, int64(1301))
	})

	t.Run("MissingGroup", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app2, "g", im.GroupPublic))
		_, err := appendMessage(t, s, message(app1, "g", "a", 1, "x"), kept(1))
		wantErr(t, "group of another app", err, im.ErrNotFound)
		equal(t, "other app's counter", mustGet(t, s, app2, "g").NextMsgSeq, int64(42))
	})

	t.Run("DeleteGroupDropsHistory", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic))
		mustAppend(t, s, message(app1, "g", "a", 1, "x"), kept(1))
		ok(t, "delete group", s.DeleteGroup(t.Context(), app1, "g"))
		mustCreate(t, s, &im.Group{AppID: app1, ID: "g", Type: im.GroupPublic, NextMsgSeq: 1})
		equal(t, "history of the new group", history(t, s, app1, "g"), []int64{})
		// The old message's duplicate key went with it.
		equal(t, "MsgSeq of the same message", mustAppend(t, s, message(app1, "g", "a", 1, "x"), kept(1)), int64(1))
	})

	t.Run("ConcurrentSenders", func(t *testing.T) {
		// Senders racing on one group get distinct, consecutive MsgSeqs,
		// each sender's in increasing order, and every kept message stored.
		s := fresh(t, open)
		mustCreate(t, s, &im.Group{AppID: app1, ID: "g", Type: im.GroupPublic, NextMsgSeq: 1})
		const senders, each = 4, 25
		got := make([][]int64, senders)
		errs := make(chan error, senders*each)
		var wg sync.WaitGroup
		for w := range senders {
			wg.Go(func() {
				for i := range each {
					m := message(app1, "g", fmt.Sprintf("sender%d", w), 100, fmt.Sprintf("%d-%d", w, i))
					at, err := appendMessage(t, s, m, kept(int64(w*each+i)))
					if err != nil || at.Duplicate {
						errs <- fmt.Errorf("sender %d message %d: %+v, %v", w, i, at, err)
						continue
					}
					got[w] = append(got[w], at.Seq)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var all []int64
		for w, list := range got {
			if !slices.IsSorted(list) {
				t.Fatalf("sender %d got MsgSeqs out of order: %v", w, list)
			}
			all = append(all, list...)
		}
		slices.Sort(all)
		want := make([]int64, senders*each)
		for i := range want {
			want[i] = int64(i + 1)
		}
		equal(t, "MsgSeqs", all, want)
		equal(t, "stored", len(history(t, s, app1, "g")), senders*each)
	})
}
