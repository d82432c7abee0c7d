package storetest

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// entry is the stream payload of a one-to-one message in these tests: its
// key first, so that C2CChange.EntryPrefix can find it, then its text.
func entry(m *im.C2CMessage) json.RawMessage {
	return json.RawMessage(`{"Type":"C2CMsg","Key":"` + m.Key() + `","Body":` + string(m.Body) + `,"Flags":` + itoa(m.FlagBits) + `}`)
}

func entryPrefix(m *im.C2CMessage) string { return `{"Type":"C2CMsg","Key":"` + m.Key() + `",` }

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// sendEntries commits a one-to-one message with its entry in both sides'
// streams.
func sendEntries(t *testing.T, s im.StreamStore, m im.C2CMessage) {
	t.Helper()
	_, err := s.CommitStream(t.Context(), []im.StreamWrite{{AppID: m.AppID, Time: m.Time,
		C2C:        &im.C2CAppend{Msg: m, Keep: true},
		UserEvents: []im.UserEventAppend{{UserID: m.To, Payload: entry(&m), ExpireAt: math.MaxInt64}, {UserID: m.From, Payload: entry(&m), ExpireAt: math.MaxInt64}},
	}})
	ok(t, "commit c2c", err)
}

// payloads lists a user's stream as raw payloads.
func payloads(t *testing.T, s im.StreamStore, user string) []string {
	t.Helper()
	evs, _, err := s.ListUserEvents(t.Context(), app1, user, 0, 0, 100)
	ok(t, "list user events", err)
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Payload))
	}
	return out
}

// notice is a stream write of one event for each user.
func notice(what string, users ...string) im.StreamWrite {
	w := im.StreamWrite{AppID: app1, Time: 1}
	for _, u := range users {
		w.UserEvents = append(w.UserEvents, im.UserEventAppend{UserID: u, Payload: payload(what), ExpireAt: math.MaxInt64})
	}
	return w
}

// RunC2C checks the one-to-one changes and read state of im.C2CStore.
func RunC2C(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("Update", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "alice", "bob")
		m := c2c("alice", "bob", 7, 8, 1000, "hi")
		other := c2c("alice", "bob", 9, 8, 1000, "same second")
		sendEntries(t, s, m)
		sendEntries(t, s, other)
		recall := func(m *im.C2CMessage) im.C2CChange {
			return im.C2CChange{AppID: app1, From: m.From, To: m.To, Seq: m.Seq, Random: m.Random, Time: m.Time,
				Apply: func(m *im.C2CMessage) error {
					if m.FlagBits&im.MsgRecalled != 0 {
						return &im.Error{Code: im.CodeC2CMsgRecalled, Info: "recalled already"}
					}
					m.FlagBits |= im.MsgRecalled
					m.Body, m.CloudCustomData = json.RawMessage(`[]`), ""
					return nil
				},
				Events:      func(m *im.C2CMessage) im.StreamWrite { return notice("recalled "+m.Key(), "alice", "bob") },
				EntryPrefix: entryPrefix(m),
				Entry:       entry,
			}
		}
		got, err := s.UpdateC2C(t.Context(), recall(&m))
		ok(t, "recall", err)
		equal(t, "numbers of the events", got.Result.UserSeqs, []int64{3, 3})
		equal(t, "the changed message", got.Msg.FlagBits, im.MsgRecalled)
		stored, err := s.GetC2CMessage(t.Context(), app1, "alice", "bob", 7, 8, 1000)
		ok(t, "get", err)
		equal(t, "stored body", string(stored.Body), `[]`)
		equal(t, "stored custom data", stored.CloudCustomData, "")
		equal(t, "stored flags", stored.FlagBits, im.MsgRecalled)
		want := []string{`{"Type":"C2CMsg","Key":"7_8_1000","Body":[],"Flags":8}`, string(entry(&other)), string(payload("recalled 7_8_1000"))}
		equal(t, "bob's stream: the entry rewritten, the other message's kept", payloads(t, s, "bob"), want)
		equal(t, "alice's stream too", payloads(t, s, "alice"), want)

		_, err = s.UpdateC2C(t.Context(), recall(&m))
		equal(t, "refusal returned as is", im.CodeOf(err), im.CodeC2CMsgRecalled)
		equal(t, "and nothing written", len(payloads(t, s, "bob")), 3)
		gone := c2c("alice", "bob", 7, 8, 1001, "hi")
		_, err = s.UpdateC2C(t.Context(), recall(&gone))
		wantErr(t, "no such message", err, im.ErrNotFound)
		backwards := c2c("bob", "alice", 7, 8, 1000, "hi")
		_, err = s.UpdateC2C(t.Context(), recall(&backwards))
		wantErr(t, "the sender is part of the address", err, im.ErrNotFound)
		boom := errors.New("boom")
		c := recall(&other)
		c.Apply = func(*im.C2CMessage) error { return boom }
		_, err = s.UpdateC2C(t.Context(), c)
		wantErr(t, "any refusal", err, boom)
	})

	t.Run("ReadMarks", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "alice", "bob", "carol")
		for i, m := range []im.C2CMessage{
			c2c("alice", "bob", 1, 1, 100, "a"),
			c2c("alice", "bob", 2, 1, 200, "b"),
			c2c("alice", "bob", 3, 1, 300, "c"),
			c2c("bob", "alice", 4, 1, 250, "reply"),
			c2c("carol", "bob", 5, 1, 150, "from carol"),
			c2c("bob", "bob", 6, 1, 150, "note to self"),
		} {
			if i == 2 {
				m.FlagBits = im.FlagNoUnread
			}
			sendEntries(t, s, m)
		}
		hidden := c2c("carol", "bob", 7, 1, 160, "hidden")
		hidden.HiddenFromRecipient = true
		sendEntries(t, s, hidden)
		recalled := c2c("carol", "bob", 8, 1, 170, "recalled")
		recalled.FlagBits = im.MsgRecalled
		sendEntries(t, s, recalled)

		counts, err := s.CountC2CUnread(t.Context(), app1, "bob", []string{"alice", "carol", "bob", "nobody"})
		ok(t, "count", err)
		equal(t, "per peer", counts, map[string]int64{"alice": 2, "carol": 1, "bob": 0, "nobody": 0})
		total, err := s.CountC2CUnreadTotal(t.Context(), app1, "bob")
		ok(t, "total", err)
		equal(t, "total", total, int64(3))

		var unreadSeen int64
		mark := func(reader, peer string, at int64) im.C2CReadResult {
			t.Helper()
			r, err := s.MarkC2CRead(t.Context(), im.C2CReadMark{AppID: app1, Reader: reader, Peer: peer, Time: at,
				Events: func(unread int64) im.StreamWrite { unreadSeen = unread; return notice("read", reader, peer) }})
			ok(t, "mark read", err)
			return r
		}
		r := mark("bob", "alice", 100)
		equal(t, "first mark", []any{r.Advanced, r.Time, r.Unread, unreadSeen, len(r.Result.UserSeqs)}, []any{true, int64(100), int64(1), int64(1), 2})
		r = mark("bob", "alice", 50)
		equal(t, "an earlier mark changes nothing", []any{r.Advanced, r.Time, r.Unread, len(r.Result.UserSeqs)}, []any{false, int64(100), int64(1), 0})
		r = mark("bob", "alice", 200)
		equal(t, "inclusive", []any{r.Advanced, r.Time, r.Unread}, []any{true, int64(200), int64(0)})
		total, err = s.CountC2CUnreadTotal(t.Context(), app1, "bob")
		ok(t, "total", err)
		equal(t, "total after the mark", total, int64(1))

		list, err := s.ListC2CMessages(t.Context(), app1, "alice", "bob", 0, math.MaxInt64, nil, 10)
		ok(t, "list", err)
		read := map[uint32]bool{}
		for _, m := range list {
			read[m.Seq] = m.PeerRead
		}
		equal(t, "IsPeerRead from the recipient's mark", read, map[uint32]bool{1: true, 2: true, 3: false, 4: false})
		m, err := s.GetC2CMessage(t.Context(), app1, "alice", "bob", 2, 1, 200)
		ok(t, "get", err)
		equal(t, "IsPeerRead of one", m.PeerRead, true)

		counts, err = s.CountC2CUnread(t.Context(), app1, "alice", []string{"bob"})
		ok(t, "count", err)
		equal(t, "the other side's marks are its own", counts["bob"], int64(1))
		counts, err = s.CountC2CUnread(t.Context(), app2, "bob", []string{"alice"})
		ok(t, "count", err)
		equal(t, "another app", counts["alice"], int64(0))
	})
}
