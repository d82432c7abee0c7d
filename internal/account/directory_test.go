package account

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/bus"
	"github.com/chatd/chatd/internal/bus/natsbus/natstest"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/store/sqlite/sqlitetest"
)

// readCounter counts the account reads that reach the store.
type readCounter struct {
	im.AccountStore
	reads atomic.Int64
}

func (r *readCounter) GetAccounts(ctx context.Context, app uint64, ids []string) (map[string]im.Account, error) {
	r.reads.Add(1)
	return r.AccountStore.GetAccounts(ctx, app, ids)
}

// node is one chatd node's account service over the shared store.
func node(t *testing.T, store im.AccountStore, b bus.Bus) (*Service, *readCounter) {
	t.Helper()
	rc := &readCounter{AccountStore: store}
	s := NewService(rc)
	if b != nil {
		stop, err := s.Follow(b)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}
	return s, rc
}

// admit logs userID in with a sig issued at sigAt and waits until a new
// account is written, as the gateway does before the user's next request.
func admit(s *Service, userID string, sigAt int64) error {
	durable, err := s.Login(context.Background(), testApp, userID, sigAt, t0)
	if err == nil && durable != nil {
		err = durable()
	}
	return err
}

var (
	testApp = &config.App{SDKAppID: 1400000001}
	t0      = time.Unix(1_800_000_000, 0)
)

// eventually polls cond until it holds: a change on another node arrives
// through the bus in its own time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: never happened", what)
}

// TestReturningLoginReadsNothing: a returning user's login, and Exists of a
// known account, touch no storage; a first login reads once.
func TestReturningLoginReadsNothing(t *testing.T) {
	ctx := context.Background()
	s, rc := node(t, sqlitetest.Open(t), bus.NewLocal())
	if err := admit(s, "alice", t0.Unix()); err != nil {
		t.Fatal(err)
	}
	first := rc.reads.Load()
	if first != 1 {
		t.Fatalf("first login: %d store reads, want 1", first)
	}
	for range 3 {
		if err := admit(s, "alice", t0.Unix()); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Exists(ctx, testApp.SDKAppID, []string{"alice"})
	if err != nil || !got["alice"] {
		t.Fatalf("Exists(alice) = %v, %v", got, err)
	}
	if n := rc.reads.Load() - first; n != 0 {
		t.Fatalf("returning logins and Exists: %d store reads, want 0", n)
	}
}

// TestFirstLoginDurable: a first login is admitted before its account is
// committed; durable returns once it is, and the account is then in the
// store and remembered.
func TestFirstLoginDurable(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.Open(t)
	s, rc := node(t, store, bus.NewLocal())
	durable, err := s.Login(ctx, testApp, "alice", t0.Unix(), t0)
	if err != nil || durable == nil {
		t.Fatalf("first login: durable %v, err %v", durable != nil, err)
	}
	if err := durable(); err != nil {
		t.Fatal(err)
	}
	got, err := store.GetAccounts(ctx, testApp.SDKAppID, []string{"alice"})
	if err != nil || got["alice"].CreatedAt != t0.Unix() {
		t.Fatalf("store after a first login: %v, %v", got, err)
	}
	reads := rc.reads.Load()
	if durable, err := s.Login(ctx, testApp, "alice", t0.Unix(), t0); err != nil || durable != nil {
		t.Fatalf("returning login: durable %v, err %v", durable != nil, err)
	}
	if rc.reads.Load() != reads {
		t.Fatal("the account was read again after its import")
	}
}

// TestDirectoryAcrossNodes: a kick or a deletion made through one node
// holds on the other, which remembered the account from an earlier login;
// both nodes share one store and one NATS cluster.
func TestDirectoryAcrossNodes(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.Open(t)
	buses := natstest.Cluster(t, 2)
	a, _ := node(t, store, buses[0])
	b, _ := node(t, store, buses[1])
	sigAt := t0.Unix()
	for _, n := range []*Service{a, b} {
		if err := admit(n, "alice", sigAt); err != nil {
			t.Fatal(err)
		}
		if err := admit(n, "bob", sigAt); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("kick", func(t *testing.T) {
		if err := a.Kick(ctx, testApp, "alice", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		eventually(t, "node B refuses alice's old sig", func() bool {
			return im.CodeOf(admit(b, "alice", sigAt)) == im.CodeSigInvalidated
		})
		before, err := b.RevokedBefore(ctx, testApp.SDKAppID, "alice", t0)
		if err != nil || before != t0.Add(time.Minute).Unix() {
			t.Fatalf("node B: RevokedBefore = %d, %v", before, err)
		}
		if err := admit(b, "alice", t0.Add(2*time.Minute).Unix()); err != nil {
			t.Fatalf("node B: a sig made after the kick: %v", err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if _, err := a.Delete(ctx, testApp, []string{"bob"}, t0); err != nil {
			t.Fatal(err)
		}
		eventually(t, "node B forgets bob", func() bool {
			got, err := b.Exists(ctx, testApp.SDKAppID, []string{"bob"})
			return err == nil && !got["bob"]
		})
		// A login through B imports bob again, and A sees it.
		if err := admit(b, "bob", sigAt); err != nil {
			t.Fatal(err)
		}
		got, err := a.Exists(ctx, testApp.SDKAppID, []string{"bob"})
		if err != nil || !got["bob"] {
			t.Fatalf("node A after B re-imported bob: %v, %v", got, err)
		}
	})
}

// TestDirectoryAfterRestart: a node starting over a store it did not fill
// knows what the store says, kicks included.
func TestDirectoryAfterRestart(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.Open(t)
	before, _ := node(t, store, bus.NewLocal())
	if err := admit(before, "alice", t0.Unix()); err != nil {
		t.Fatal(err)
	}
	if err := before.Kick(ctx, testApp, "alice", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	after, rc := node(t, store, bus.NewLocal())
	if err := admit(after, "alice", t0.Unix()); im.CodeOf(err) != im.CodeSigInvalidated {
		t.Fatalf("old sig after restart: %v, want %d", err, im.CodeSigInvalidated)
	}
	if err := admit(after, "alice", t0.Add(time.Hour).Unix()); err != nil {
		t.Fatal(err)
	}
	got, err := after.Exists(ctx, testApp.SDKAppID, []string{"alice", "nobody"})
	if err != nil || !got["alice"] || got["nobody"] {
		t.Fatalf("Exists after restart = %v, %v", got, err)
	}
	if n := rc.reads.Load(); n != 2 { // alice once, then the unknown "nobody"
		t.Fatalf("%d store reads, want 2", n)
	}
}

// cutBus is a bus whose link to the other nodes is down until reconnect.
type cutBus struct {
	*bus.Local
	down      atomic.Bool
	reconnect func()
}

func (c *cutBus) Connected() bool       { return !c.down.Load() }
func (c *cutBus) OnReconnect(fn func()) { c.reconnect = fn }
func (c *cutBus) heal()                 { c.down.Store(false); c.reconnect() }
func (c *cutBus) Publish(ctx context.Context, subject string, data []byte) error {
	if c.down.Load() {
		return nil // lost, as across a cut NATS link
	}
	return c.Local.Publish(ctx, subject, data)
}

// TestDirectoryWhileCutOff: while the bus is down the node trusts only
// the store, and after it reconnects it forgets what it may have missed.
func TestDirectoryWhileCutOff(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.Open(t)
	cb := &cutBus{Local: bus.NewLocal()}
	s, rc := node(t, store, cb)
	if err := admit(s, "alice", t0.Unix()); err != nil {
		t.Fatal(err)
	}
	cb.down.Store(true)
	// Another node kicks alice; the news does not arrive.
	if err := store.RevokeLogins(ctx, testApp.SDKAppID, "alice", t0.Add(time.Minute).Unix()); err != nil {
		t.Fatal(err)
	}
	if err := admit(s, "alice", t0.Unix()); im.CodeOf(err) != im.CodeSigInvalidated {
		t.Fatalf("cut off: %v, want %d", err, im.CodeSigInvalidated)
	}
	cb.heal()
	reads := rc.reads.Load()
	if err := admit(s, "alice", t0.Unix()); im.CodeOf(err) != im.CodeSigInvalidated {
		t.Fatalf("reconnected: %v, want %d", err, im.CodeSigInvalidated)
	}
	if rc.reads.Load() != reads+1 {
		t.Fatal("after a reconnect the account was not read again")
	}
}

// TestDirectoryFillAfterChange: a store read that started before a kick
// or deletion arrived is not remembered, so it cannot undo the change.
func TestDirectoryFillAfterChange(t *testing.T) {
	var d directory
	k := accountKey{1, "alice"}
	epoch := d.snapshot()
	d.apply(change{Kind: changeDelete, App: 1, User: "alice"})
	d.fill(epoch, 1, map[string]int64{"alice": 0})
	if _, known, _ := d.get(k); known {
		t.Fatal("a read older than a deletion was remembered")
	}
	d.fill(d.snapshot(), 1, map[string]int64{"alice": 5})
	d.apply(change{Kind: changeKick, App: 1, User: "alice", Before: 3}) // older than what is known
	if before, _, _ := d.get(k); before != 5 {
		t.Fatalf("revocation moved back to %d", before)
	}
	d.apply(change{Kind: changeKick, App: 1, User: "alice", Before: 9})
	if before, _, _ := d.get(k); before != 9 {
		t.Fatalf("revocation %d, want 9", before)
	}
}

// TestLoginStoreDown: a known account logs in while the store fails, as
// long as the node is told of changes; an unknown one gets the error.
func TestLoginStoreDown(t *testing.T) {
	store := &failing{AccountStore: sqlitetest.Open(t)}
	s, _ := node(t, store, bus.NewLocal())
	if err := admit(s, "alice", t0.Unix()); err != nil {
		t.Fatal(err)
	}
	store.down.Store(true)
	if err := admit(s, "alice", t0.Unix()); err != nil {
		t.Fatalf("known account, store down: %v", err)
	}
	if err := admit(s, "carol", t0.Unix()); err == nil {
		t.Fatal("unknown account, store down: admitted")
	}
}

type failing struct {
	im.AccountStore
	down atomic.Bool
}

func (f *failing) GetAccounts(ctx context.Context, app uint64, ids []string) (map[string]im.Account, error) {
	if f.down.Load() {
		return nil, errors.New("store down")
	}
	return f.AccountStore.GetAccounts(ctx, app, ids)
}

// gatedImports holds account imports until released.
type gatedImports struct {
	im.AccountStore
	release chan struct{}
}

func (g *gatedImports) ImportAccounts(ctx context.Context, items []im.AccountImport) error {
	<-g.release
	return g.AccountStore.ImportAccounts(ctx, items)
}

// TestAdmittedBeforeCommitted: a user admitted by a first login whose
// account is still being committed is an account to everyone on the node:
// a lookup waits for the commit rather than answering "not imported".
func TestAdmittedBeforeCommitted(t *testing.T) {
	ctx := context.Background()
	gate := &gatedImports{AccountStore: sqlitetest.Open(t), release: make(chan struct{})}
	s, _ := node(t, gate, bus.NewLocal())
	durable, err := s.Login(ctx, testApp, "bob", t0.Unix(), t0)
	if err != nil || durable == nil {
		t.Fatalf("first login: durable %v, err %v", durable != nil, err)
	}
	answered := make(chan map[string]bool, 1)
	go func() {
		got, err := s.Imported(ctx, testApp.SDKAppID, []string{"bob"})
		if err != nil {
			t.Error(err)
		}
		answered <- got
	}()
	select {
	case got := <-answered:
		t.Fatalf("Imported answered %v before bob's import committed", got)
	case <-time.After(50 * time.Millisecond):
	}
	close(gate.release)
	if got := <-answered; !got["bob"] {
		t.Fatalf("Imported(bob) after the commit = %v, want bob", got)
	}
	if err := durable(); err != nil {
		t.Fatal(err)
	}
}
