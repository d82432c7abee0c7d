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

// c2c builds a one-to-one message with every field set.
func c2c(from, to string, seq, random uint32, time int64, text string) im.C2CMessage {
	return im.C2CMessage{
		AppID: app1, From: from, To: to, Seq: seq, Random: random, Time: time,
		Body:            json.RawMessage(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":` + fmt.Sprintf("%q", text) + `}}]`),
		CloudCustomData: "cc\x00" + text, OfflinePushInfo: json.RawMessage(`{"Desc":"d"}`),
		SupportExtension: true, NeedReadReceipt: true,
	}
}

// users imports plain accounts into app1.
func users(t *testing.T, s im.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		mustImport(t, s, account(app1, id, "", 1, false))
	}
}

// payload is a stream event payload naming what it is.
func payload(s string) json.RawMessage { return json.RawMessage(`{"Type":"Test","What":"` + s + `"}`) }

// sendC2C commits a one-to-one message with an event for each side.
func sendC2C(t *testing.T, s im.StreamStore, m im.C2CMessage, since int64) im.StreamResult {
	t.Helper()
	res, err := s.CommitStream(t.Context(), []im.StreamWrite{{
		AppID: m.AppID, Time: m.Time,
		C2C: &im.C2CAppend{Msg: m, Keep: true, ContentHash: int64(len(m.Body)), DedupSince: since},
		UserEvents: []im.UserEventAppend{
			{UserID: m.To, Payload: payload("to " + m.Key()), ExpireAt: m.Time + 100},
			{UserID: m.From, Payload: payload("from " + m.Key()), ExpireAt: m.Time + 100},
		},
	}})
	ok(t, "commit c2c", err)
	return res[0]
}

// userEvents lists what of a user's stream is left at now.
func userEvents(t *testing.T, s im.StreamStore, user string, after, now int64) ([]string, int64) {
	t.Helper()
	evs, head, err := s.ListUserEvents(t.Context(), app1, user, after, now, 100)
	ok(t, "list user events", err)
	var out []string
	for _, e := range evs {
		var p struct{ What string }
		ok(t, "decode payload", json.Unmarshal(e.Payload, &p))
		out = append(out, fmt.Sprintf("%d:%s", e.Seq, p.What))
	}
	return out, head
}

// RunStreams checks im.StreamStore and im.C2CStore.
func RunStreams(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("OneToOne", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "alice", "bob")
		m := c2c("alice", "bob", 7, math.MaxUint32, 1000, "hi")
		r := sendC2C(t, s, m, 900)
		equal(t, "result", r, im.StreamResult{UserSeqs: []int64{1, 1}, GroupEventSeqs: []int64{}})
		r = sendC2C(t, s, c2c("bob", "alice", 1, 2, 1001, "hello"), 901)
		equal(t, "seqs continue per user", r.UserSeqs, []int64{2, 2})

		got, err := s.GetC2CMessage(t.Context(), app1, "alice", "bob", 7, math.MaxUint32, 1000)
		ok(t, "get", err)
		equal(t, "stored byte for byte", *got, m)
		_, err = s.GetC2CMessage(t.Context(), app1, "bob", "alice", 7, math.MaxUint32, 1000)
		wantErr(t, "the other direction", err, im.ErrNotFound)

		evs, head := userEvents(t, s, "bob", 0, 1000)
		equal(t, "bob's stream", evs, []string{"1:to 7_4294967295_1000", "2:from 1_2_1001"})
		equal(t, "bob's head", head, int64(2))
		evs, _ = userEvents(t, s, "bob", 1, 1000)
		equal(t, "after a seq", evs, []string{"2:from 1_2_1001"})
		evs, head = userEvents(t, s, "bob", 0, 1101)
		equal(t, "expired entries are gone", evs, []string(nil))
		equal(t, "the head stays", head, int64(2))
		_, _, err = s.ListUserEvents(t.Context(), app1, "nobody", 0, 0, 10)
		wantErr(t, "no such user", err, im.ErrNotFound)

		list, err := s.ListC2CMessages(t.Context(), app1, "bob", "alice", 0, math.MaxInt64, nil, 10)
		ok(t, "list", err)
		equal(t, "newest first", len(list), 2)
		equal(t, "newest", list[0].Seq, uint32(1))
		list, err = s.ListC2CMessages(t.Context(), app1, "alice", "bob", 0, math.MaxInt64, &list[0], 10)
		ok(t, "list after a cursor", err)
		equal(t, "after the cursor", len(list), 1)
		equal(t, "older", list[0].Seq, uint32(7))
		list, err = s.ListC2CMessages(t.Context(), app1, "alice", "bob", 1001, 1001, nil, 10)
		ok(t, "list a time range", err)
		equal(t, "in range", len(list), 1)
	})

	t.Run("OneToOneDuplicates", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "alice", "bob", "carol")
		sendC2C(t, s, c2c("alice", "bob", 7, 8, 1000, "hi"), 880)
		dup := im.StreamResult{Duplicate: true, C2CTime: 1000, UserSeqs: []int64{2, 2}, GroupEventSeqs: []int64{}}
		equal(t, "resent in the window", sendC2C(t, s, c2c("alice", "bob", 7, 8, 1050, "hi"), 930), dup)
		r := sendC2C(t, s, c2c("alice", "carol", 7, 8, 1050, "hi"), 930)
		equal(t, "same numbers to another recipient", r.Duplicate, false)
		r = sendC2C(t, s, c2c("alice", "bob", 7, 8, 1200, "hi"), 1080)
		equal(t, "window passed", r.Duplicate, false)
		// An import with the same three numbers in the conversation, either
		// way round, is the same message whatever its content.
		r = sendC2C(t, s, c2c("bob", "alice", 7, 8, 1200, "other"), 0)
		equal(t, "history key", r.Duplicate, true)
		list, err := s.ListC2CMessages(t.Context(), app1, "alice", "bob", 0, math.MaxInt64, nil, 10)
		ok(t, "list", err)
		equal(t, "stored", len(list), 2)
		// Skipped numbers: the duplicates took stream numbers and wrote none.
		evs, head := userEvents(t, s, "bob", 0, 1000)
		equal(t, "bob's stream", len(evs), 2)
		equal(t, "bob's head", head, int64(4))
	})

	t.Run("OneToOneBatches", func(t *testing.T) { runOneToOneBatches(t, open) })

	t.Run("HiddenSides", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "alice", "bob")
		m := c2c("alice", "bob", 1, 1, 10, "no sync")
		m.HiddenFromSender = true
		sendC2C(t, s, m, 0)
		for _, tt := range []struct {
			owner, peer string
			want        int
		}{{"alice", "bob", 0}, {"bob", "alice", 1}} {
			list, err := s.ListC2CMessages(t.Context(), app1, tt.owner, tt.peer, 0, math.MaxInt64, nil, 10)
			ok(t, "list", err)
			equal(t, tt.owner+"'s side", len(list), tt.want)
		}
	})

	t.Run("GroupEventsAndHeads", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "alice", "bob")
		mustCreate(t, s, group(app1, "g", im.GroupPublic), member("alice", im.RoleOwner, 10), member("bob", im.RoleMember, 11))
		mustCreate(t, s, group(app1, "live", im.GroupAVChatRoom), member("alice", im.RoleMember, 12))
		mustCreate(t, s, group(app1, "h", im.GroupPrivate), member("bob", im.RoleMember, 13))
		res, err := s.CommitStream(t.Context(), []im.StreamWrite{
			{AppID: app1, Time: 50, GroupEvents: []im.GroupEventAppend{{GroupID: "g", Payload: payload("e1")}, {GroupID: "g", Payload: payload("e2")}}},
			{AppID: app1, Time: 51, GroupEvents: []im.GroupEventAppend{{GroupID: "nope", Payload: payload("x")}},
				UserEvents: []im.UserEventAppend{{UserID: "alice", Payload: payload("x"), ExpireAt: 100}}},
			{AppID: app1, Time: 52, Group: &im.GroupAppend{Msg: *message(app1, "g", "alice", 52, "m"), Keep: true},
				GroupEvents: []im.GroupEventAppend{{GroupID: "g", Payload: payload("e3")}},
				UserEvents:  []im.UserEventAppend{{UserID: "ghost", Payload: payload("x"), ExpireAt: 100}, {UserID: "bob", Payload: payload("b"), ExpireAt: 100}}},
		})
		ok(t, "commit", err)
		equal(t, "events", res[0], im.StreamResult{GroupEventSeqs: []int64{1, 2}, UserSeqs: []int64{}})
		wantErr(t, "missing group", res[1].Err, im.ErrNotFound)
		equal(t, "message with events", res[2], im.StreamResult{GroupSeq: 42, GroupTime: 52, GroupEventSeqs: []int64{3}, UserSeqs: []int64{0, 1}})
		_, head := userEvents(t, s, "alice", 0, 0)
		equal(t, "a failed write takes no user number", head, int64(0))

		evs, err := s.ListGroupEvents(t.Context(), app1, "g", 1, 10)
		ok(t, "list group events", err)
		equal(t, "after 1", []int64{evs[0].Seq, evs[1].Seq}, []int64{2, 3})
		equal(t, "payload", string(evs[1].Payload), string(payload("e3")))
		equal(t, "time", evs[0].Time, int64(50))

		heads, err := s.ListGroupHeads(t.Context(), app1, "bob")
		ok(t, "heads", err)
		equal(t, "bob's groups", heads, []im.GroupHead{
			{GroupID: "g", Type: im.GroupPublic, MsgSeq: 42, EventSeq: 3},
			{GroupID: "h", Type: im.GroupPrivate, MsgSeq: 41, EventSeq: 0},
		})
		heads, err = s.ListGroupHeads(t.Context(), app1, "alice")
		ok(t, "heads", err)
		equal(t, "no live groups", len(heads), 1)

		for i := range 3 {
			mustAppend(t, s, message(app1, "g", "alice", 60+int64(i), "n"), kept(int64(i)))
		}
		msgs, err := s.ListGroupMessagesAfter(t.Context(), app1, "g", 42, 2)
		ok(t, "after", err)
		equal(t, "oldest first", seqs(msgs), []int64{43, 44})
	})

	t.Run("GroupMessageFields", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic))
		m := message(app1, "g", "a", 5, "to some")
		m.To = []string{"x", "y"}
		m.AtInfo = json.RawMessage(`[{"GroupAtAllFlag":1}]`)
		m.NeedReadReceipt, m.SupportExtension = true, true
		m.Seq = mustAppend(t, s, m, kept(1))
		got, err := s.ListGroupMessages(t.Context(), app1, "g", math.MaxInt64, 10)
		ok(t, "list", err)
		equal(t, "every field", got, []im.GroupMessage{*m})
	})

	t.Run("InBatchDuplicates", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic))
		w := im.StreamWrite{AppID: app1, Time: 5, Group: &im.GroupAppend{Msg: *message(app1, "g", "a", 5, "x"), Keep: true, ContentHash: 3, DedupSince: 1}}
		res, err := s.CommitStream(t.Context(), []im.StreamWrite{w, w})
		ok(t, "commit", err)
		equal(t, "second is the first", res[1], im.StreamResult{Duplicate: true, GroupSeq: 42, GroupTime: 5})
		equal(t, "stored once", history(t, s, app1, "g"), []int64{42})
	})

	t.Run("Prune", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "alice", "bob")
		sendC2C(t, s, c2c("alice", "bob", 1, 1, 1000, "old"), 880)
		mustCreate(t, s, group(app1, "g", im.GroupPublic))
		for i, at := range []int64{900, 950, 1050} {
			_, err := s.CommitStream(t.Context(), []im.StreamWrite{{AppID: app1, Time: at,
				GroupEvents: []im.GroupEventAppend{{GroupID: "g", Payload: payload(fmt.Sprint("e", i+1))}}}})
			ok(t, "group event", err)
		}
		ok(t, "prune", s.PruneStreams(t.Context(), 1100, 1000, 1000, 0))
		evs, _ := userEvents(t, s, "bob", 0, 0)
		equal(t, "expired entries deleted", evs, []string(nil))
		equal(t, "group events before 1000 deleted", groupEvents(t, s, "g", 0), []string{string(payload("e3"))})
		// The group's event stream keeps its numbers: the next is 4.
		res, err := s.CommitStream(t.Context(), []im.StreamWrite{{AppID: app1, Time: 1060,
			GroupEvents: []im.GroupEventAppend{{GroupID: "g", Payload: payload("e4")}}}})
		ok(t, "group event after the prune", err)
		equal(t, "numbers not reused", res[0].GroupEventSeqs, []int64{4})
		// The pruned duplicate key no longer holds.
		r := sendC2C(t, s, c2c("alice", "bob", 1, 1, 1001, "old"), 0)
		equal(t, "not a duplicate", r.Duplicate, false)
	})

	t.Run("ConcurrentStreams", func(t *testing.T) {
		// Writers racing on one user's stream get distinct consecutive
		// numbers, and every entry is stored once.
		s := fresh(t, open)
		users(t, s, "hub")
		const writers, each = 4, 20
		var wg sync.WaitGroup
		var mu sync.Mutex
		var all []int64
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					other := fmt.Sprintf("w%d", w)
					res, err := s.CommitStream(t.Context(), []im.StreamWrite{{AppID: app1, Time: 1,
						UserEvents: []im.UserEventAppend{{UserID: "hub", Payload: payload(fmt.Sprint(i)), ExpireAt: 10}, {UserID: other, ExpireAt: 10}}}})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					all = append(all, res[0].UserSeqs[0])
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		slices.Sort(all)
		for i, seq := range all {
			if seq != int64(i+1) {
				t.Fatalf("seqs %v are not 1..%d", all, writers*each)
			}
		}
	})
}
