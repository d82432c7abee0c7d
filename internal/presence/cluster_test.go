package presence

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/bus"
)

// fakeClock is a settable clock shared by the nodes of a test cluster.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testNode is one node of an in-process cluster on a shared Local bus.
type testNode struct {
	tracker *Tracker
	cluster *Cluster
}

func newTestCluster(t *testing.T, nodes int) ([]testNode, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Unix(1700000000, 0)}
	b := bus.NewLocal()
	t.Cleanup(func() { _ = b.Close() })
	out := make([]testNode, nodes)
	for i := range out {
		tr := NewTracker(clock.now)
		c, err := NewCluster(tr, b, ClusterOptions{Node: fmt.Sprint("node", i), Interval: time.Second, Now: clock.now})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = testNode{tr, c}
	}
	return out, clock
}

func fillNode(n testNode, prefix string, count int, clock *fakeClock) {
	for i := range count {
		clock.add(time.Millisecond)
		n.tracker.Enter(1, "room", fmt.Sprintf("%s%03d", prefix, i), uint64(i+1))
	}
}

func TestClusterCountsAndLists(t *testing.T) {
	nodes, clock := newTestCluster(t, 2)
	a, b := nodes[0], nodes[1]
	fillNode(a, "a", 30, clock)
	fillNode(b, "b", 20, clock)
	ctx := context.Background()

	if got := a.cluster.Count(1, "room"); got != 30 {
		t.Fatalf("before B published: A counts %d, want its own 30", got)
	}
	a.cluster.Publish(ctx)
	b.cluster.Publish(ctx)
	for i, n := range nodes {
		if got := n.cluster.Count(1, "room"); got != 50 {
			t.Fatalf("node %d counts %d, want 50", i, got)
		}
	}

	// Listing merges both nodes, newest first, in pages with a stable cursor.
	var listed []OnlineMember
	cursor := int64(0)
	for {
		page, next := a.cluster.Members(1, "room", 0, cursor, 15)
		listed = append(listed, page...)
		if next == 0 {
			break
		}
		cursor = next
	}
	if len(listed) != 50 || listed[0].UserID != "b019" || listed[49].UserID != "a000" {
		t.Fatalf("merged listing: %d members, first %v, last %v", len(listed), listed[0], listed[len(listed)-1])
	}

	// A mark set through A lands on the node that holds the member.
	if !a.cluster.SetMarks(1, "room", "b005", []int{1001}, true) {
		t.Fatal("SetMarks on a member of B reported offline")
	}
	if page, _ := b.tracker.Members(1, "room", 1001, 0, 10); len(page) != 1 || page[0].UserID != "b005" {
		t.Fatalf("mark did not reach B: %v", page)
	}
	b.cluster.Publish(ctx)
	if page, _ := a.cluster.Members(1, "room", 1001, 0, 10); len(page) != 1 || page[0].UserID != "b005" {
		t.Fatalf("A does not list B's marked member: %v", page)
	}
	if a.cluster.SetMarks(1, "room", "nobody", []int{1001}, true) {
		t.Fatal("SetMarks on an offline user reported online")
	}
	// Mark 500 for a member of B lands on B; A holds no second copy.
	if !a.cluster.SetMarks(1, "room", "b003", []int{MarkAlwaysOnline}, true) || a.tracker.Count(1, "room") != 30 {
		t.Fatalf("mark 500 for B's member: A counts %d locally, want 30", a.tracker.Count(1, "room"))
	}
	if page, _ := b.tracker.Members(1, "room", MarkAlwaysOnline, 0, 10); len(page) != 1 || page[0].UserID != "b003" {
		t.Fatalf("mark 500 did not reach B: %v", page)
	}
	// For a user online nowhere, the node that got the call holds them.
	if !a.cluster.SetMarks(1, "room", "host", []int{MarkAlwaysOnline}, true) || a.cluster.Count(1, "room") != 51 {
		t.Fatalf("pinned offline host: cluster counts %d, want 51", a.cluster.Count(1, "room"))
	}
	a.cluster.SetMarks(1, "room", "host", []int{MarkAlwaysOnline}, false)

	// B goes silent: after the expiry A counts only its own users.
	clock.add(a.cluster.Expiry() + time.Second)
	a.cluster.Publish(ctx)
	if got := a.cluster.Count(1, "room"); got != 30 {
		t.Fatalf("after B went silent A counts %d, want 30", got)
	}
	if page, _ := a.cluster.Members(1, "room", 0, 0, 1000); len(page) != 30 {
		t.Fatalf("after B went silent A lists %d, want 30", len(page))
	}
}

func TestClusterLeavingNodeStopsCountingAtOnce(t *testing.T) {
	nodes, clock := newTestCluster(t, 2)
	fillNode(nodes[1], "b", 5, clock)
	stop := nodes[1].cluster.Start()
	// Start published B's snapshot before returning: the Local bus
	// delivers on the publisher's goroutine.
	if got := nodes[0].cluster.Count(1, "room"); got != 5 {
		t.Fatalf("A counts %d after B started, want 5", got)
	}
	stop()
	if got := nodes[0].cluster.Count(1, "room"); got != 0 {
		t.Fatalf("after B left A counts %d, want 0", got)
	}
}

func TestClusterSnapshotInParts(t *testing.T) {
	nodes, clock := newTestCluster(t, 2)
	// Enough rooms of MaxListed members that one message cannot hold them.
	for r := range 12 {
		for i := range MaxListed {
			clock.add(time.Microsecond)
			nodes[1].tracker.Enter(1, fmt.Sprint("room", r), fmt.Sprint("u", i), uint64(i+1))
		}
	}
	nodes[1].cluster.Publish(context.Background())
	for r := range 12 {
		if got := nodes[0].cluster.Count(1, fmt.Sprint("room", r)); got != MaxListed {
			t.Fatalf("room%d: %d, want %d", r, got, MaxListed)
		}
	}
}

// flakyBus is one node's view of a shared Local bus whose connection a
// test turns off and on, as natsbus reports it through bus.Health.
type flakyBus struct {
	*bus.Local
	down  atomic.Bool
	hooks []func()
}

func (f *flakyBus) Connected() bool       { return !f.down.Load() }
func (f *flakyBus) OnReconnect(fn func()) { f.hooks = append(f.hooks, fn) }

// reconnect marks the bus up and runs the hooks, as natsbus does once the
// subscriptions are back.
func (f *flakyBus) reconnect() {
	f.down.Store(false)
	for _, fn := range f.hooks {
		fn()
	}
}

// syncCluster is a cluster whose interval is so long that no timer fires
// during a test: whatever a test sees comes from requests and answers, not
// from the periodic snapshots or the sync deadline.
type syncCluster struct {
	clock  *fakeClock
	shared *bus.Local
}

// syncNode is one node of a syncCluster.
type syncNode struct {
	testNode
	bus *flakyBus
}

func newSyncCluster(t *testing.T) *syncCluster {
	t.Helper()
	shared := bus.NewLocal()
	t.Cleanup(func() { _ = shared.Close() })
	return &syncCluster{clock: &fakeClock{t: time.Unix(1700000000, 0)}, shared: shared}
}

// add creates a node. It hears only what is published from now on, as a
// process that has just started.
func (sc *syncCluster) add(t *testing.T, name string) syncNode {
	t.Helper()
	fb := &flakyBus{Local: sc.shared}
	tr := NewTracker(sc.clock.now)
	c, err := NewCluster(tr, fb, ClusterOptions{Node: name, Interval: time.Hour, Now: sc.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	return syncNode{testNode{tr, c}, fb}
}

func startNode(t *testing.T, c *Cluster) {
	t.Helper()
	t.Cleanup(c.Start())
}

// TestClusterFreshNodeAsksForSnapshots: a node that starts beside running
// nodes counts their users from its first query on.
func TestClusterFreshNodeAsksForSnapshots(t *testing.T) {
	sc := newSyncCluster(t)
	b, c := sc.add(t, "b"), sc.add(t, "c")
	fillNode(b.testNode, "b", 5, sc.clock)
	fillNode(c.testNode, "c", 7, sc.clock)
	startNode(t, b.cluster)
	startNode(t, c.cluster)
	a := sc.add(t, "a") // has seen none of their snapshots
	fillNode(a.testNode, "a", 1, sc.clock)
	startNode(t, a.cluster)
	if got := a.cluster.Count(1, "room"); got != 13 {
		t.Fatalf("fresh node counts %d, want 13", got)
	}
	if page, _ := a.cluster.Members(1, "room", 0, 0, 100); len(page) != 13 {
		t.Fatalf("fresh node lists %d members, want 13", len(page))
	}
}

// TestClusterSyncWaitsForEveryNamedNode drives a sync round by hand: the
// node waits until every node that any answer named has answered.
func TestClusterSyncWaitsForEveryNamedNode(t *testing.T) {
	a := newSyncCluster(t).add(t, "node0").cluster
	startNode(t, a) // nobody answers: the round stays open
	answer := func(node string, count int, peers ...string) {
		data, _ := json.Marshal(snapshotMsg{Node: node, Gen: 1, Parts: 1, Peers: peers,
			Rooms: []RoomSnapshot{{AppID: 1, GroupID: "room", Count: count}}})
		a.onSnapshot(data)
	}
	syncing := func() bool {
		a.mu.RLock()
		defer a.mu.RUnlock()
		return a.sync != nil
	}
	if !syncing() {
		t.Fatal("no sync round after Start")
	}
	answer("b", 5, "c", "node0")
	if !syncing() {
		t.Fatal("the round ended before c, named by b, answered")
	}
	answer("d", 1, "b", "c", "e")
	data, _ := json.Marshal(snapshotMsg{Node: "e", Leaving: true})
	a.onSnapshot(data) // a node that leaves is not waited for
	if !syncing() {
		t.Fatal("the round ended before c answered")
	}
	answer("c", 7, "b")
	if syncing() {
		t.Fatal("the round is still open after every named node answered")
	}
	if got := a.Count(1, "room"); got != 13 {
		t.Fatalf("counts %d, want 13", got)
	}
}

// TestClusterResyncsAfterReconnect: a node cut off from the bus for longer
// than the expiry forgets the others; once reconnected it asks for their
// snapshots and counts them again from its first query on.
func TestClusterResyncsAfterReconnect(t *testing.T) {
	sc := newSyncCluster(t)
	a, b, clock := sc.add(t, "a"), sc.add(t, "b"), sc.clock
	fillNode(b.testNode, "b", 5, clock)
	startNode(t, b.cluster)
	startNode(t, a.cluster)
	if got := a.cluster.Count(1, "room"); got != 5 {
		t.Fatalf("before the outage A counts %d, want 5", got)
	}
	a.bus.down.Store(true)
	clock.add(a.cluster.Expiry() + time.Second)
	// Disconnected, A answers at once with what it has.
	if got := a.cluster.Count(1, "room"); got != 0 {
		t.Fatalf("after the expiry A counts %d, want 0", got)
	}
	a.bus.reconnect()
	if got := a.cluster.Count(1, "room"); got != 5 {
		t.Fatalf("after the reconnect A counts %d, want 5", got)
	}
}

// TestClusterLoneNode: with nobody to answer, queries wait one interval at
// most, and not at all while the bus is down.
func TestClusterLoneNode(t *testing.T) {
	t.Run("connected", func(t *testing.T) {
		clock := &fakeClock{t: time.Unix(1700000000, 0)}
		tr := NewTracker(clock.now)
		c, err := NewCluster(tr, bus.NewLocal(), ClusterOptions{Interval: 10 * time.Millisecond, Now: clock.now})
		if err != nil {
			t.Fatal(err)
		}
		tr.Enter(1, "room", "solo", 1)
		startNode(t, c)
		if got := c.Count(1, "room"); got != 1 {
			t.Fatalf("lone node counts %d, want 1", got)
		}
	})
	t.Run("disconnected", func(t *testing.T) {
		sc := newSyncCluster(t) // an interval of an hour
		a := sc.add(t, "a")
		a.bus.down.Store(true)
		fillNode(a.testNode, "a", 2, sc.clock)
		startNode(t, a.cluster)
		if got := a.cluster.Count(1, "room"); got != 2 {
			t.Fatalf("lone disconnected node counts %d, want 2", got)
		}
	})
}
