package storetest

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// extStore is the store's extension side; im.Store does not list it yet.
func extStore(t *testing.T, s im.Store) im.MsgExtStore {
	t.Helper()
	x, isExt := s.(im.MsgExtStore)
	if !isExt {
		t.Fatalf("%T does not implement im.MsgExtStore", s)
	}
	return x
}

// setExts writes pairs as the domain would: each takes the next Seq; the
// events are a group event or an entry per party.
func setExts(t *testing.T, s im.MsgExtStore, ref im.MsgRef, pairs ...string) im.StreamResult {
	t.Helper()
	res, err := s.WriteMsgExts(t.Context(), ref, pairs, func(h im.MsgExtHead, current map[string]im.MsgExt) (*im.MsgExtChange, error) {
		ch := &im.MsgExtChange{}
		for _, k := range pairs {
			if _, had := current[k]; !had {
				h.Pairs++
			}
			h.LatestSeq++
			ch.Set = append(ch.Set, im.MsgExt{Key: k, Value: "v" + strconv.FormatInt(h.LatestSeq, 10), Seq: h.LatestSeq})
		}
		h.WindowStart, h.WindowWrites = 60, h.WindowWrites+1
		ch.Head, ch.Events = h, extEvents(ref)
		return ch, nil
	})
	ok(t, "write extensions", err)
	return res
}

func extEvents(ref im.MsgRef) im.StreamWrite {
	w := im.StreamWrite{AppID: ref.AppID, Time: 1000}
	if ref.GroupID != "" {
		w.GroupEvents = []im.GroupEventAppend{{GroupID: ref.GroupID, Payload: payload("ext")}}
	} else {
		w.UserEvents = []im.UserEventAppend{{UserID: ref.To, Payload: payload("ext"), ExpireAt: 2000}, {UserID: ref.From, Payload: payload("ext"), ExpireAt: 2000}}
	}
	return w
}

// listExts reads a page as "key=value@seq" and the head.
func listExts(t *testing.T, s im.MsgExtStore, ref im.MsgRef, start int64, limit int) ([]string, im.MsgExtHead) {
	t.Helper()
	pairs, h, err := s.ListMsgExts(t.Context(), ref, start, limit)
	ok(t, "list extensions", err)
	out := []string{}
	for _, p := range pairs {
		out = append(out, fmt.Sprintf("%s=%s@%d", p.Key, p.Value, p.Seq))
	}
	return out, h
}

// RunMsgExts checks im.MsgExtStore on group and one-to-one messages.
func RunMsgExts(t *testing.T, open func(t *testing.T) im.Store) {
	// fixture stores a group message (MsgSeq 1, with extension support)
	// and a one-to-one message alice -> bob, and returns their refs.
	fixture := func(t *testing.T, s im.Store) (group, c2cRef im.MsgRef) {
		t.Helper()
		users(t, s, "alice", "bob")
		mustCreate(t, s, &im.Group{AppID: app1, ID: "g", Type: im.GroupPublic, Owner: "alice", NextMsgSeq: 1})
		m := message(app1, "g", "alice", 1000, "vote")
		m.SupportExtension, m.To = true, []string{"bob"}
		seq := mustAppend(t, s, m, kept(1))
		cm := c2c("alice", "bob", 7, 8, 1000, "hi")
		cm.AppID = app1
		sendC2C(t, s, cm, 900)
		return im.MsgRef{AppID: app1, GroupID: "g", MsgSeq: seq},
			im.MsgRef{AppID: app1, From: "alice", To: "bob", Key: im.C2CKey{Seq: 7, Random: 8, Time: 1000}}
	}

	t.Run("SetListPage", func(t *testing.T) {
		s := fresh(t, open)
		gref, cref := fixture(t, s)
		x := extStore(t, s)
		for _, ref := range []im.MsgRef{gref, cref} {
			got, h := listExts(t, x, ref, 0, 10)
			equal(t, "no pairs yet", got, []string{})
			equal(t, "head of a new message", h, im.MsgExtHead{SupportExtension: true, From: "alice", To: h.To})
			setExts(t, x, ref, "a", "b")
			setExts(t, x, ref, "a", "c")
			got, h = listExts(t, x, ref, 0, 10)
			equal(t, "pairs in Seq order", got, []string{"b=v2@2", "a=v3@3", "c=v4@4"})
			equal(t, "head", [4]int64{h.LatestSeq, int64(h.Pairs), h.WindowStart, int64(h.WindowWrites)}, [4]int64{4, 3, 60, 2})
			got, _ = listExts(t, x, ref, 3, 1)
			equal(t, "a page from a Seq", got, []string{"a=v3@3"})
		}
		_, h := listExts(t, x, gref, 0, 1)
		equal(t, "a group message's addressees", h.To, []string{"bob"})

		// The events went into the streams with the change.
		evs, err := s.ListGroupEvents(t.Context(), app1, "g", 0, 10)
		ok(t, "group events", err)
		equal(t, "group events", len(evs), 2)
		for _, u := range []string{"alice", "bob"} {
			got, _ := userEvents(t, s, u, 1, 1000)
			equal(t, u+"'s stream", got, []string{"2:ext", "3:ext"})
		}
	})

	t.Run("DeleteClearAndRollback", func(t *testing.T) {
		s := fresh(t, open)
		gref, _ := fixture(t, s)
		x := extStore(t, s)
		setExts(t, x, gref, "a", "b", "c")
		_, err := x.WriteMsgExts(t.Context(), gref, []string{"a", "zz"}, func(h im.MsgExtHead, current map[string]im.MsgExt) (*im.MsgExtChange, error) {
			equal(t, "current pairs among the keys", current, map[string]im.MsgExt{"a": {Key: "a", Value: "v1", Seq: 1}})
			equal(t, "pair count", h.Pairs, 3)
			h.Pairs--
			return &im.MsgExtChange{Head: h, Delete: []string{"a"}}, nil
		})
		ok(t, "delete", err)
		got, _ := listExts(t, x, gref, 0, 10)
		equal(t, "after delete", got, []string{"b=v2@2", "c=v3@3"})

		refused := errors.New("refused")
		_, err = x.WriteMsgExts(t.Context(), gref, nil, func(h im.MsgExtHead, _ map[string]im.MsgExt) (*im.MsgExtChange, error) {
			return nil, refused
		})
		wantErr(t, "apply's error", err, refused)

		_, err = x.WriteMsgExts(t.Context(), gref, nil, func(h im.MsgExtHead, _ map[string]im.MsgExt) (*im.MsgExtChange, error) {
			h.ClearSeq, h.Pairs = h.LatestSeq, 0
			return &im.MsgExtChange{Head: h, Clear: true}, nil
		})
		ok(t, "clear", err)
		got, h := listExts(t, x, gref, 0, 10)
		equal(t, "after clear", got, []string{})
		equal(t, "clear seq", [2]int64{h.LatestSeq, h.ClearSeq}, [2]int64{3, 3})
		setExts(t, x, gref, "d")
		got, _ = listExts(t, x, gref, 0, 10)
		equal(t, "after clear, Seqs go on", got, []string{"d=v4@4"})
	})

	t.Run("Values", func(t *testing.T) {
		s := fresh(t, open)
		_, cref := fixture(t, s)
		x := extStore(t, s)
		for _, v := range []string{"", "nul\x00byte", "é\"{}"} {
			_, err := x.WriteMsgExts(t.Context(), cref, nil, func(h im.MsgExtHead, _ map[string]im.MsgExt) (*im.MsgExtChange, error) {
				h.LatestSeq++
				return &im.MsgExtChange{Head: h, Set: []im.MsgExt{{Key: "k", Value: v, Seq: h.LatestSeq}}}, nil
			})
			ok(t, "write "+strconv.Quote(v), err)
			pairs, _, err := x.ListMsgExts(t.Context(), cref, 0, 10)
			ok(t, "list", err)
			equal(t, "value round trip", pairs, []im.MsgExt{{Key: "k", Value: v, Seq: pairs[0].Seq}})
		}
	})

	t.Run("Missing", func(t *testing.T) {
		s := fresh(t, open)
		gref, cref := fixture(t, s)
		x := extStore(t, s)
		reversed := cref
		reversed.From, reversed.To = cref.To, cref.From
		otherApp := cref
		otherApp.AppID = app2
		noSeq := gref
		noSeq.MsgSeq = 2
		noGroup := gref
		noGroup.GroupID = "nope"
		never := func(im.MsgExtHead, map[string]im.MsgExt) (*im.MsgExtChange, error) {
			t.Fatal("apply ran for a message that does not exist")
			return nil, nil
		}
		for name, ref := range map[string]im.MsgRef{"the other direction": reversed, "another app": otherApp,
			"no such MsgSeq": noSeq, "no such group": noGroup} {
			_, _, err := x.ListMsgExts(t.Context(), ref, 0, 10)
			wantErr(t, "list: "+name, err, im.ErrNotFound)
			_, err = x.WriteMsgExts(t.Context(), ref, []string{"k"}, never)
			wantErr(t, "write: "+name, err, im.ErrNotFound)
		}
	})

	t.Run("DeletedWithTheMessage", func(t *testing.T) {
		s := fresh(t, open)
		gref, _ := fixture(t, s)
		x := extStore(t, s)
		setExts(t, x, gref, "a")
		ok(t, "delete group", s.DeleteGroup(t.Context(), app1, "g"))
		mustCreate(t, s, &im.Group{AppID: app1, ID: "g", Type: im.GroupPublic, Owner: "alice", NextMsgSeq: 1})
		m := message(app1, "g", "alice", 1000, "again")
		m.SupportExtension = true
		mustAppend(t, s, m, kept(1))
		got, h := listExts(t, x, gref, 0, 10)
		equal(t, "a new message under the old address", got, []string{})
		equal(t, "its head", h.LatestSeq, int64(0))
	})

	// Writers on every connection of the pool, each reading a pair and
	// writing it back plus one: none may read a value another is about to
	// replace.
	t.Run("SerializedWrites", func(t *testing.T) {
		s := fresh(t, open)
		gref, cref := fixture(t, s)
		x := extStore(t, s)
		const writers = 8
		var wg sync.WaitGroup
		for _, ref := range []im.MsgRef{gref, cref} {
			for range writers {
				wg.Go(func() {
					_, err := x.WriteMsgExts(t.Context(), ref, []string{"n"}, func(h im.MsgExtHead, current map[string]im.MsgExt) (*im.MsgExtChange, error) {
						n, _ := strconv.Atoi(current["n"].Value)
						h.LatestSeq++
						return &im.MsgExtChange{Head: h, Set: []im.MsgExt{{Key: "n", Value: strconv.Itoa(n + 1), Seq: h.LatestSeq}},
							Events: extEvents(ref)}, nil
					})
					if err != nil {
						t.Errorf("write: %v", err)
					}
				})
			}
		}
		wg.Wait()
		for _, ref := range []im.MsgRef{gref, cref} {
			got, _ := listExts(t, x, ref, 0, 10)
			equal(t, "every increment kept", got, []string{fmt.Sprintf("n=%d@%d", writers, writers)})
		}
	})
}
