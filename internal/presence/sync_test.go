package presence

import (
	"testing"
	"time"

	"github.com/chatd/chatd/internal/bus"
)

// The tests here start their nodes (Start), with an interval so long that
// no timer fires during a test: whatever a test sees comes from requests
// and answers, not from beats or the sync deadline.
const noTimers = time.Hour

// newSyncCluster is an empty cluster whose nodes a test adds and starts.
func newSyncCluster(t *testing.T) *testCluster {
	t.Helper()
	tc := &testCluster{clock: &fakeClock{t: time.Unix(1700000000, 0)}, shared: bus.NewLocal()}
	t.Cleanup(func() { _ = tc.shared.Close() })
	return tc
}

func startNode(t *testing.T, n *testNode) {
	t.Helper()
	t.Cleanup(n.c.Start())
}

// fillNode enters count users named prefix000... in the room.
func fillNode(n *testNode, prefix string, count int, clock *fakeClock) {
	for i := range count {
		clock.add(time.Millisecond)
		n.Enter(app, "room", prefix+string(rune('a'+i/26))+string(rune('a'+i%26)), uint64(i+1))
	}
}

func TestClusterLeavingNodeStopsCountingAtOnce(t *testing.T) {
	tc := newSyncCluster(t)
	a, b := tc.add(t, "a", noTimers), tc.add(t, "b", noTimers)
	fillNode(b, "b", 5, tc.clock)
	startNode(t, a)
	stop := b.c.Start() // answers A's request through its goroutine
	if got := a.c.Count(app, "room"); got != 5 {
		t.Fatalf("A counts %d after B started, want 5", got)
	}
	stop()
	if got := a.c.Count(app, "room"); got != 0 {
		t.Fatalf("after B left A counts %d, want 0", got)
	}
	if got := a.c.Nodes(); got != 1 {
		t.Fatalf("after B left A counts %d live nodes, want 1", got)
	}
}

// TestClusterFreshNodeAsksForSnapshots: a node that starts beside running
// nodes counts their users from its first query on.
func TestClusterFreshNodeAsksForSnapshots(t *testing.T) {
	tc := newSyncCluster(t)
	b, c := tc.add(t, "b", noTimers), tc.add(t, "c", noTimers)
	fillNode(b, "b", 5, tc.clock)
	fillNode(c, "c", 7, tc.clock)
	startNode(t, b)
	startNode(t, c)
	a := tc.add(t, "a", noTimers) // has heard none of their changes
	fillNode(a, "a", 1, tc.clock)
	startNode(t, a)
	if got := a.c.Count(app, "room"); got != 13 {
		t.Fatalf("fresh node counts %d, want 13", got)
	}
	if page, _ := a.c.Members(app, "room", 0, 0, 100); len(page) != 13 {
		t.Fatalf("fresh node lists %d members, want 13", len(page))
	}
	if got := a.c.Nodes(); got != 3 {
		t.Fatalf("fresh node counts %d live nodes, want 3", got)
	}
}

// TestClusterSyncWaitsForEveryNamedNode drives a sync round by hand: the
// node waits until every node that any answer named has answered.
func TestClusterSyncWaitsForEveryNamedNode(t *testing.T) {
	tc := newSyncCluster(t)
	a := tc.add(t, "node0", noTimers)
	startNode(t, a) // nobody answers: the round stays open
	answer := func(node string, count int, peers ...string) {
		var cs []change
		for i := range count {
			cs = append(cs, change{Kind: kindRoom, Op: opSet, App: app, IDs: []string{"room"},
				User: node + string(rune('a'+i)), Stamp: int64(i + 1)})
		}
		a.c.onMessage(encodeMessage(header{Type: msgSnapshot, Node: node, Inc: 1, Parts: 1, Peers: peers}, encodeChanges(cs)[0]))
	}
	syncing := func() bool { return a.c.waiting.Load() != nil }
	if !syncing() {
		t.Fatal("no sync round after Start")
	}
	answer("b", 5, "c", "node0")
	if !syncing() {
		t.Fatal("the round ended before c, named by b, answered")
	}
	answer("d", 1, "b", "c", "e")
	a.c.onMessage(encodeMessage(header{Type: msgLeave, Node: "e", Inc: 1}, nil)) // a node that leaves is not waited for
	if !syncing() {
		t.Fatal("the round ended before c answered")
	}
	answer("c", 7, "b")
	if syncing() {
		t.Fatal("the round is still open after every named node answered")
	}
	if got := a.c.Count(app, "room"); got != 13 {
		t.Fatalf("counts %d, want 13", got)
	}
}

// TestClusterResyncsAfterReconnect: a node cut off from the bus for longer
// than the expiry forgets the others and they forget it; what changed on
// either side meanwhile was not sent. Once reconnected it tells its state,
// asks for theirs, and both sides count everyone exactly once from its
// first query on.
func TestClusterResyncsAfterReconnect(t *testing.T) {
	tc := newSyncCluster(t)
	a, b := tc.add(t, "a", noTimers), tc.add(t, "b", noTimers)
	fillNode(b, "b", 5, tc.clock)
	b.Enter(app, "room", "both", 100)
	startNode(t, b)
	startNode(t, a)
	if got := a.c.Count(app, "room"); got != 6 {
		t.Fatalf("before the outage A counts %d, want 6", got)
	}
	a.bus.down.Store(true)
	tc.clock.add(a.c.Expiry() + time.Second)
	a.c.expire()
	b.c.expire()
	// Disconnected, A answers at once with what it has.
	if got := a.c.Count(app, "room"); got != 0 {
		t.Fatalf("after the expiry A counts %d, want 0", got)
	}
	// During the outage: a user of B joins A too, another joins A alone,
	// one of B's leaves.
	a.Enter(app, "room", "both", 1)
	a.Enter(app, "room", "onlyA", 2)
	b.Leave(app, "room", "bab", 2)
	a.c.flush(t.Context()) // dropped: the bus is down
	b.c.flush(t.Context()) // A does not hear it
	if got := b.c.Count(app, "room"); got != 5 {
		t.Fatalf("during the outage B counts %d, want its own 5", got)
	}
	a.bus.reconnect()
	if got := a.c.Count(app, "room"); got != 6 {
		t.Fatalf("after the reconnect A counts %d, want 6", got)
	}
	// A told its snapshot before asking, so B has it by now.
	if got := b.c.Count(app, "room"); got != 6 {
		t.Fatalf("after the reconnect B counts %d, want 6", got)
	}
}

// TestClusterLoneNode: with nobody to answer, queries wait one interval at
// most, and not at all while the bus is down.
func TestClusterLoneNode(t *testing.T) {
	t.Run("connected", func(t *testing.T) {
		tc := newSyncCluster(t)
		a := tc.add(t, "a", 10*time.Millisecond)
		a.Enter(app, "room", "solo", 1)
		startNode(t, a)
		if got := a.c.Count(app, "room"); got != 1 {
			t.Fatalf("lone node counts %d, want 1", got)
		}
	})
	t.Run("disconnected", func(t *testing.T) {
		tc := newSyncCluster(t)
		a := tc.add(t, "a", noTimers)
		a.bus.down.Store(true)
		fillNode(a, "a", 2, tc.clock)
		startNode(t, a)
		if got := a.c.Count(app, "room"); got != 2 {
			t.Fatalf("lone disconnected node counts %d, want 2", got)
		}
	})
}
