package account

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/chatd/chatd/internal/batch"
	"github.com/chatd/chatd/internal/bus"
)

// maxKnown bounds the accounts a node remembers (about 60 bytes each).
// Past it some are forgotten: a forgotten account costs one store read at
// its next login, nothing else.
const maxKnown = 1 << 20

// directory is this node's memory of the accounts that exist and of when
// each one's logins were last revoked by a kick: what a login, a REST
// call's admin check and a send's account check need, without a store
// read. It only ever remembers accounts that exist; an ID it does not know
// is read from the store (so a restart, or an import through another node,
// needs nothing but a read).
//
// It stays right across nodes through the bus: a kick or a deletion is
// published on bus.AccountsSubject by the node that made it, and every node
// applies it. A fill (what a store read returned) is kept only if no such
// change arrived while it was being read — epoch counts them — so a read
// that raced with a deletion cannot bring the account back. While the bus
// is cut off from the other nodes nothing is trusted (every check reads
// the store), and when it reconnects everything is forgotten, since the
// changes published meanwhile never arrived.
type directory struct {
	mu      sync.Mutex
	entries map[accountKey]int64 // LoginsRevokedBefore of an account known to exist
	epoch   uint64
	health  bus.Health // nil: no other node can change an account behind our back
}

type accountKey struct {
	app  uint64
	user string
}

// get returns what the directory holds of k: known reports that the
// account exists with its logins revoked before before; trusted is false
// while the bus is cut off, and then known says what was last seen, which
// the caller may use only when the store does not answer.
func (d *directory) get(k accountKey) (before int64, known, trusted bool) {
	d.mu.Lock()
	before, known = d.entries[k]
	d.mu.Unlock()
	return before, known, d.health == nil || d.health.Connected()
}

// snapshot returns the epoch to hand to fill once a store read started now
// has returned.
func (d *directory) snapshot() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.epoch
}

// fill remembers accounts read from the store (or just imported) since
// epoch, unless a kick or a deletion arrived meanwhile.
func (d *directory) fill(epoch uint64, app uint64, before map[string]int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if epoch != d.epoch {
		return
	}
	if d.entries == nil {
		d.entries = map[accountKey]int64{}
	}
	for user, b := range before {
		if len(d.entries) >= maxKnown {
			d.forgetSomeLocked()
		}
		d.entries[accountKey{app, user}] = b
	}
}

// forgetSomeLocked drops an eighth of the entries, whichever map iteration
// yields first.
func (d *directory) forgetSomeLocked() {
	n := len(d.entries) / 8
	for k := range d.entries {
		if n == 0 {
			return
		}
		delete(d.entries, k)
		n--
	}
}

// apply records a change to an account made on any node.
func (d *directory) apply(c change) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.epoch++
	k := accountKey{c.App, c.User}
	switch c.Kind {
	case changeKick:
		if b, ok := d.entries[k]; ok && c.Before > b {
			d.entries[k] = c.Before
		}
	default: // changeDelete, and any kind a newer node sends: forget it
		delete(d.entries, k)
	}
}

// forget drops everything, for when changes may have been missed.
func (d *directory) forget() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.epoch++
	d.entries = nil
}

// change is one account change as it travels on bus.AccountsSubject.
type change struct {
	Kind   string `json:"k"`
	App    uint64 `json:"a"`
	User   string `json:"u"`
	Before int64  `json:"b,omitempty"` // kick: sigs issued before this second are revoked
}

const (
	changeKick   = "kick"
	changeDelete = "delete"
)

// Follow makes this node's account directory follow the kicks and
// deletions every node makes, through b; it must be called before the
// service is used when chatd runs on several nodes. The returned stop
// unsubscribes.
func (s *Service) Follow(b bus.Bus) (stop func(), err error) {
	stop, err = b.Subscribe(bus.AccountsSubject(), func(data []byte) {
		var c change
		if json.Unmarshal(data, &c) != nil || c.User == "" {
			// Not ours to read (a newer node's format): forgetting
			// everything is always safe.
			s.known.forget()
			return
		}
		s.known.apply(c)
	})
	if err != nil {
		return nil, fmt.Errorf("account: follow: %w", err)
	}
	if h, ok := b.(bus.Health); ok {
		s.known.mu.Lock()
		s.known.health = h
		s.known.mu.Unlock()
		h.OnReconnect(s.known.forget)
	}
	s.bus = b
	return stop, nil
}

// announce applies c here and tells the other nodes. It is called after
// the change is committed, so a node that reads the store once it has
// applied c sees the change.
func (s *Service) announce(ctx context.Context, c change) error {
	s.known.apply(c)
	if s.bus == nil {
		return nil
	}
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.bus.Publish(ctx, bus.AccountsSubject(), data)
}

// lookup returns, of ids, the accounts that exist with the time before
// which their logins are revoked: from memory when it can be trusted,
// else from the store (and then remembered).
func (s *Service) lookup(ctx context.Context, appID uint64, ids []string) (map[string]int64, error) {
	out := make(map[string]int64, len(ids))
	var missing []string
	var stale map[string]int64 // known while the bus was cut off
	for _, id := range ids {
		before, known, trusted := s.known.get(accountKey{appID, id})
		switch {
		case known && trusted:
			out[id] = before
		case known:
			if stale == nil {
				stale = map[string]int64{}
			}
			stale[id] = before
			missing = append(missing, id)
		default:
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	keys := make([]accountKey, len(missing))
	reads := make([]batch.AppKey[string], len(missing))
	for i, id := range missing {
		keys[i], reads[i] = accountKey{appID, id}, batch.AppKey[string]{App: appID, Key: id}
	}
	// A user admitted a moment ago may not be committed yet: their
	// import is waited for, and then read like any other.
	if err := s.pending.wait(ctx, keys); err != nil {
		return out, err
	}
	epoch := s.known.snapshot()
	found, err := s.lookups.c.Do(ctx, reads...)
	if err != nil {
		// What was last seen, whatever its age: callers keep working
		// through a database outage as far as they can without it.
		for id, before := range stale {
			out[id] = before
		}
		return out, err
	}
	read := make(map[string]int64, len(found))
	for i, f := range found {
		if f.exists {
			read[missing[i]] = f.before
			out[missing[i]] = f.before
		}
	}
	s.known.fill(epoch, appID, read)
	return out, nil
}
