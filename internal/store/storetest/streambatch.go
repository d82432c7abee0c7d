package storetest

import (
	"math"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// runOneToOneBatches checks that a batch of one-to-one messages is decided
// exactly as the same messages committed one at a time, in order: the
// same duplicates, answers, stream numbers and stored rows, whether the
// batch's keys are all distinct (stored together) or shared (a message
// sent twice in one batch).
func runOneToOneBatches(t *testing.T, open func(t *testing.T) im.Store) {
	// c2cWrite is a send with an entry for each side, like sendC2C's.
	c2cWrite := func(from, to string, seq, random uint32, time int64, text string, since int64) im.StreamWrite {
		m := c2c(from, to, seq, random, time, text)
		return im.StreamWrite{AppID: m.AppID, Time: m.Time,
			C2C: &im.C2CAppend{Msg: m, Keep: true, ContentHash: int64(len(m.Body)), DedupSince: since},
			UserEvents: []im.UserEventAppend{
				{UserID: m.To, Payload: payload("to " + m.Key()), ExpireAt: m.Time + 100},
				{UserID: m.From, Payload: payload("from " + m.Key()), ExpireAt: m.Time + 100},
			}}
	}
	users := []string{"alice", "bob", "carol"}
	for _, tt := range []struct {
		name   string
		stored []im.StreamWrite // committed before, one at a time
		batch  []im.StreamWrite
	}{
		{name: "DistinctKeys", batch: []im.StreamWrite{
			c2cWrite("alice", "bob", 1, 1, 1000, "a", 880), c2cWrite("bob", "alice", 1, 1, 1000, "b", 880),
			c2cWrite("alice", "carol", 1, 1, 1000, "a", 880), c2cWrite("carol", "carol", 2, 2, 1000, "self", 880),
		}},
		{name: "SentTwiceInTheBatch", batch: []im.StreamWrite{
			c2cWrite("alice", "bob", 7, 8, 1000, "hi", 880), c2cWrite("bob", "carol", 1, 1, 1000, "x", 880),
			c2cWrite("alice", "bob", 7, 8, 1001, "hi", 881),
		}},
		{name: "ResentAndStale",
			stored: []im.StreamWrite{c2cWrite("alice", "bob", 7, 8, 1000, "hi", 880), c2cWrite("bob", "alice", 3, 3, 800, "old", 680)},
			batch: []im.StreamWrite{
				c2cWrite("alice", "bob", 7, 8, 1050, "hi", 930),  // fresh key: a duplicate
				c2cWrite("bob", "alice", 3, 3, 1050, "old", 930), // stale key: taken over
				c2cWrite("carol", "bob", 1, 1, 1050, "new", 930),
			}},
		{name: "HistoryKey",
			stored: []im.StreamWrite{c2cWrite("alice", "bob", 5, 5, 900, "stored", 0)},
			batch: []im.StreamWrite{
				c2cWrite("bob", "alice", 5, 5, 900, "import of the same", 0),
				c2cWrite("alice", "carol", 6, 6, 900, "one way", 0), c2cWrite("carol", "alice", 6, 6, 900, "other way", 0),
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			batched, single := fresh(t, open), open(t)
			var got, want []im.StreamResult
			for _, s := range []im.Store{batched, single} {
				for _, u := range users {
					mustImport(t, s, account(app1, u, "", 1, false))
				}
				for _, w := range tt.stored {
					_, err := s.CommitStream(t.Context(), []im.StreamWrite{w})
					ok(t, "store", err)
				}
			}
			got, err := batched.CommitStream(t.Context(), tt.batch)
			ok(t, "commit the batch", err)
			for _, w := range tt.batch {
				res, err := single.CommitStream(t.Context(), []im.StreamWrite{w})
				ok(t, "commit one", err)
				want = append(want, res...)
			}
			equal(t, "results", got, want)
			for _, owner := range users {
				gotEvents, gotHead := userEvents(t, batched, owner, 0, 0)
				wantEvents, wantHead := userEvents(t, single, owner, 0, 0)
				equal(t, owner+"'s stream", gotEvents, wantEvents)
				equal(t, owner+"'s head", gotHead, wantHead)
				for _, peer := range users {
					gotList, err := batched.ListC2CMessages(t.Context(), app1, owner, peer, 0, math.MaxInt64, nil, 20)
					ok(t, "list", err)
					wantList, err := single.ListC2CMessages(t.Context(), app1, owner, peer, 0, math.MaxInt64, nil, 20)
					ok(t, "list", err)
					equal(t, owner+" with "+peer, gotList, wantList)
				}
			}
		})
	}
}
