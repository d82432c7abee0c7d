package presence

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

var errDown = errors.New("flaky bus: down")

// flakyBus is one node's connection to a shared Local bus, which a test
// cuts (nothing in or out, as natsbus reports through bus.Health) and
// makes lose messages. It counts what the node publishes on the presence
// subject.
type flakyBus struct {
	*bus.Local
	down  atomic.Bool
	lose  atomic.Int64 // presence messages still to lose on the way in
	hooks []func()

	sentBytes atomic.Int64
	largest   atomic.Int64
}

func (f *flakyBus) Connected() bool       { return !f.down.Load() }
func (f *flakyBus) OnReconnect(fn func()) { f.hooks = append(f.hooks, fn) }

func (f *flakyBus) Publish(ctx context.Context, subject string, data []byte) error {
	if f.down.Load() {
		return errDown
	}
	if subject == bus.PresenceSubject() {
		f.sentBytes.Add(int64(len(data)))
		if n := int64(len(data)); n > f.largest.Load() {
			f.largest.Store(n)
		}
	}
	return f.Local.Publish(ctx, subject, data)
}

func (f *flakyBus) Subscribe(subject string, h func([]byte)) (func(), error) {
	return f.Local.Subscribe(subject, func(data []byte) {
		if f.down.Load() {
			return
		}
		if subject == bus.PresenceSubject() && f.lose.Load() > 0 {
			f.lose.Add(-1)
			return
		}
		h(data)
	})
}

// reconnect marks the bus up and runs the hooks, as natsbus does once the
// subscriptions are back.
func (f *flakyBus) reconnect() {
	f.down.Store(false)
	for _, fn := range f.hooks {
		fn()
	}
}

// testNode is one node of a test cluster: its tracker (the gateway's
// side), its cluster view, and its connection to the shared bus.
type testNode struct {
	*Tracker
	c   *Cluster
	bus *flakyBus
}

// testCluster is nodes on one Local bus and one clock. Unless a test
// starts them, the nodes take part without their goroutine: the test
// sends (settle) so what each node sees at any point is exact.
type testCluster struct {
	clock  *fakeClock
	shared *bus.Local
	nodes  []*testNode
}

func newTestCluster(t *testing.T, nodes int) *testCluster {
	t.Helper()
	tc := &testCluster{clock: &fakeClock{t: time.Unix(1700000000, 0)}, shared: bus.NewLocal()}
	t.Cleanup(func() { _ = tc.shared.Close() })
	for i := range nodes {
		tc.add(t, fmt.Sprint("node", i), time.Second).join()
	}
	tc.beat() // each node learns the ones that joined after it
	return tc
}

// add creates a node. It hears only what is published from now on, as a
// process that has just started.
func (tc *testCluster) add(t *testing.T, name string, interval time.Duration) *testNode {
	t.Helper()
	fb := &flakyBus{Local: tc.shared}
	tr := NewTracker(tc.clock.now)
	c, err := NewCluster(tr, fb, ClusterOptions{Node: name, Interval: interval, Now: tc.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	n := &testNode{tr, c, fb}
	tc.nodes = append(tc.nodes, n)
	return n
}

// join makes the node take part by hand: changes are queued, and it tells
// the others everything it holds, as Start does.
func (n *testNode) join() *testNode {
	n.c.out.Lock()
	n.c.out.on = true
	n.c.out.Unlock()
	n.c.publishSnapshot(context.Background())
	return n
}

// settle sends every node's queued changes and answers every snapshot
// request, until nothing is left to send.
func (tc *testCluster) settle() {
	ctx := context.Background()
	for range 10 {
		busy := false
		for _, n := range tc.nodes {
			n.c.flush(ctx)
			select {
			case <-n.c.answer:
				n.c.publishSnapshot(ctx)
				busy = true
			default:
			}
		}
		if !busy {
			return
		}
	}
}

// beat makes every node send its beat (and its users' changes), then
// settles what that started.
func (tc *testCluster) beat() {
	for _, n := range tc.nodes {
		if !n.bus.down.Load() {
			n.c.diffUsers()
			n.c.beat(context.Background())
		}
	}
	tc.settle()
}

// counts returns the room's count on every node.
func (tc *testCluster) counts(room string) []int {
	var out []int
	for _, n := range tc.nodes {
		out = append(out, n.c.Count(app, room))
	}
	return out
}

func (tc *testCluster) wantCounts(t *testing.T, room string, want int, when string) {
	t.Helper()
	for i, got := range tc.counts(room) {
		if got != want {
			t.Fatalf("%s: node %d counts %d in %s, want %d (all: %v)", when, i, got, room, want, tc.counts(room))
		}
	}
}

// listed is every member a node lists in the room, unfiltered.
func listed(n *testNode, room string) []OnlineMember {
	var out []OnlineMember
	var cursor int64
	for {
		page, next := n.c.Members(app, room, 0, cursor, 100)
		out = append(out, page...)
		if next == 0 {
			return out
		}
		cursor = next
	}
}

// TestClusterCountsUsersOnce: a user with devices on two nodes counts
// once on every node and is listed once, with the earliest join, until
// both devices leave.
func TestClusterCountsUsersOnce(t *testing.T) {
	tc := newTestCluster(t, 3)
	a, b, c := tc.nodes[0], tc.nodes[1], tc.nodes[2]
	a.Enter(app, "room", "both", 1)
	firstJoin := tc.clock.now().Unix()
	tc.clock.add(time.Minute)
	b.Enter(app, "room", "both", 2)
	b.Enter(app, "room", "both", 3) // a second device on B
	tc.clock.add(time.Second)
	b.Enter(app, "room", "onlyB", 4)
	tc.clock.add(time.Second)
	c.Enter(app, "room", "onlyC", 5)
	tc.settle()
	tc.wantCounts(t, "room", 3, "one user on A and B")
	for i, n := range tc.nodes {
		ms := listed(n, "room")
		if got := names(ms); !slices.Equal(got, []string{"onlyC", "onlyB", "both"}) {
			t.Fatalf("node %d lists %v", i, got)
		}
		if ms[2].JoinTime != firstJoin {
			t.Fatalf("node %d lists both with join time %d, want the earliest, %d", i, ms[2].JoinTime, firstJoin)
		}
	}

	// The device on A leaves: still online through B, with B's join.
	a.Leave(app, "room", "both", 1)
	tc.settle()
	tc.wantCounts(t, "room", 3, "one device left")
	if ms := listed(c, "room"); ms[2].UserID != "both" || ms[2].JoinTime != firstJoin+60 {
		t.Fatalf("after A's device left, C lists %+v", ms)
	}
	b.Leave(app, "room", "both", 2)
	b.Leave(app, "room", "both", 3)
	tc.settle()
	tc.wantCounts(t, "room", 2, "both devices left")
	b.DropRoom(app, "room")
	tc.settle()
	tc.wantCounts(t, "room", 1, "B dropped the room")
}

// TestClusterMarksAcrossNodes: marks set through any node land where the
// member is; a member on two nodes holds the union of their marks, and is
// counted once per mark.
func TestClusterMarksAcrossNodes(t *testing.T) {
	tc := newTestCluster(t, 3)
	a, b, c := tc.nodes[0], tc.nodes[1], tc.nodes[2]
	a.Enter(app, "room", "both", 1)
	b.Enter(app, "room", "both", 2)
	b.Enter(app, "room", "other", 3)
	tc.settle()
	if !c.c.SetMarks(app, "room", "both", []int{1001}, true) {
		t.Fatal("SetMarks through C on a member of A and B reported offline")
	}
	if !c.c.SetMarks(app, "room", "other", []int{MarkHidden}, true) {
		t.Fatal("SetMarks through C on a member of B reported offline")
	}
	if c.c.SetMarks(app, "room", "nobody", []int{1001}, true) {
		t.Fatal("SetMarks on an offline user reported online")
	}
	tc.settle()
	for i, n := range tc.nodes {
		if got := n.c.MarkCounts(app, "room"); got[1001] != 1 || got[MarkHidden] != 1 {
			t.Fatalf("node %d mark counts %v, want one holder of 1001 and one of 600", i, got)
		}
		if page, _ := n.c.Members(app, "room", 1001, 0, 10); len(page) != 1 || page[0].UserID != "both" {
			t.Fatalf("node %d lists the holders of 1001 as %v", i, page)
		}
		if got := names(listed(n, "room")); !slices.Equal(got, []string{"both"}) {
			t.Fatalf("node %d lists %v unfiltered, want the hidden member left out", i, got)
		}
	}
	// Mark 500 for a user online nowhere is held by the node that got the
	// call; for a member of another node, by that node only.
	if !c.c.SetMarks(app, "room", "host", []int{MarkAlwaysOnline}, true) {
		t.Fatal("mark 500 on an offline user was refused")
	}
	tc.settle()
	tc.wantCounts(t, "room", 3, "a pinned host")
	if c.Count(app, "room") != 1 || a.Count(app, "room") != 1 {
		t.Fatalf("the host is held by C (%d) and not A (%d)", c.Count(app, "room"), a.Count(app, "room"))
	}
}

// TestClusterTrafficFollowsChurn: a 100,000-viewer room over 3 nodes
// costs the bus its changes, not its size. Beats are a header each; a
// join or leave is one change of about a hundred bytes; no message comes
// near NATS's 1 MiB limit, even when a node sends a third of the room at
// once.
func TestClusterTrafficFollowsChurn(t *testing.T) {
	const viewers = 100_000
	tc := newTestCluster(t, 3)
	for i := range viewers {
		tc.nodes[i%3].Enter(app, "room", fmt.Sprintf("viewer%06d", i), uint64(i+1))
	}
	tc.settle()
	tc.wantCounts(t, "room", viewers, "after the room filled")

	sent := func() (total int64) {
		for _, n := range tc.nodes {
			total += n.bus.sentBytes.Swap(0)
		}
		return total
	}
	sent()
	for range 10 {
		tc.clock.add(time.Second)
		tc.beat()
	}
	quiet := sent()
	t.Logf("a quiet %d-viewer room over 3 nodes: %d bytes per interval, all nodes together", viewers, quiet/10)
	if got := quiet; got > 10*3*200 {
		t.Fatalf("ten intervals of a quiet %d-viewer room cost %d bytes, want a few hundred per node and interval", viewers, got)
	}
	for i := range 300 {
		n := tc.nodes[i%3]
		n.Leave(app, "room", fmt.Sprintf("viewer%06d", i), uint64(i+1))
		n.Enter(app, "room", fmt.Sprintf("late%03d", i), uint64(viewers+i+1))
		tc.settle()
	}
	tc.wantCounts(t, "room", viewers, "after 600 joins and leaves")
	churn := sent()
	t.Logf("600 joins and leaves: %d bytes each", churn/600)
	if got := churn; got > 600*250 {
		t.Fatalf("600 joins and leaves cost %d bytes, want about a hundred and fifty each", got)
	}
	for i, n := range tc.nodes {
		if got := n.bus.largest.Load(); got > maxMessageBytes+1024 {
			t.Fatalf("node %d sent a message of %d bytes, over the %d limit", i, got, maxMessageBytes)
		}
	}
}

// TestClusterLostMessages: a node that misses changes notices it from the
// next message or beat, asks for a snapshot and ends up exact.
func TestClusterLostMessages(t *testing.T) {
	tc := newTestCluster(t, 2)
	a, b := tc.nodes[0], tc.nodes[1]
	a.Enter(app, "room", "u1", 1)
	a.Enter(app, "room", "gone", 2)
	tc.settle()

	b.bus.lose.Store(1)
	a.Leave(app, "room", "gone", 2)
	tc.settle() // lost on the way to B
	if got := b.c.Count(app, "room"); got != 2 {
		t.Fatalf("B counts %d after losing the leave, want the stale 2 (the test's premise)", got)
	}
	a.Enter(app, "room", "u2", 3)
	tc.settle() // B sees a gap, asks, and A answers with a snapshot
	tc.wantCounts(t, "room", 2, "after the gap was noticed")
	if got := names(listed(b, "room")); !slices.Equal(got, []string{"u2", "u1"}) {
		t.Fatalf("B lists %v", got)
	}

	// The last message lost: the beat shows the gap.
	b.bus.lose.Store(1)
	a.Enter(app, "room", "u3", 4)
	tc.settle()
	tc.clock.add(time.Second)
	tc.beat()
	tc.wantCounts(t, "room", 3, "after the beat")

	// A snapshot part lost: the next beat asks again.
	tc.clock.add(time.Second)
	b.bus.lose.Store(2) // the change and the snapshot it triggers
	a.Enter(app, "room", "u4", 5)
	tc.settle()
	a.Enter(app, "room", "u5", 6)
	tc.settle()
	tc.clock.add(time.Second)
	tc.beat()
	tc.wantCounts(t, "room", 5, "after a lost snapshot")
}

// TestClusterNodeDies: a node nobody hears from stops counting after the
// expiry, and the live-node count follows; a user it shared with another
// node stays, counted once.
func TestClusterNodeDies(t *testing.T) {
	tc := newTestCluster(t, 3)
	a, b, c := tc.nodes[0], tc.nodes[1], tc.nodes[2]
	a.Enter(app, "room", "both", 1)
	b.Enter(app, "room", "both", 2)
	b.Enter(app, "room", "onlyB", 3)
	tc.settle()
	if a.c.Nodes() != 3 || c.c.Nodes() != 3 {
		t.Fatalf("live nodes %d and %d, want 3", a.c.Nodes(), c.c.Nodes())
	}
	b.bus.down.Store(true) // B dies

	tc.clock.add(a.c.Expiry() - time.Millisecond)
	tc.beat() // A and C beat; B is silent
	a.c.expire()
	if got := a.c.Count(app, "room"); got != 2 {
		t.Fatalf("before the expiry A counts %d, want 2", got)
	}
	tc.clock.add(2 * time.Millisecond)
	for _, n := range []*testNode{a, c} {
		n.c.expire()
		if got := n.c.Count(app, "room"); got != 1 {
			t.Fatalf("after B's expiry a node counts %d, want 1", got)
		}
		if n.c.Nodes() != 2 {
			t.Fatalf("after B's expiry a node counts %d live nodes, want 2", n.c.Nodes())
		}
	}
	if ms := listed(c, "room"); len(ms) != 1 || ms[0].UserID != "both" {
		t.Fatalf("after B's expiry C lists %v", ms)
	}
}

// TestClusterNodeRestarts: a node that restarts (same ID or a new one)
// and whose users reconnect, to it or elsewhere, is never counted twice.
func TestClusterNodeRestarts(t *testing.T) {
	for _, sameID := range []bool{true, false} {
		t.Run(fmt.Sprint("same ID ", sameID), func(t *testing.T) {
			tc := newTestCluster(t, 2)
			a, b := tc.nodes[0], tc.nodes[1]
			for i := range 5 {
				b.Enter(app, "room", fmt.Sprint("u", i), uint64(i+1))
			}
			tc.settle()
			tc.wantCounts(t, "room", 5, "before the restart")
			// kill -9: B's process is gone, its users reconnect: three to
			// the new process, two to A.
			b.bus.down.Store(true)
			tc.nodes = tc.nodes[:1]
			name := "node1"
			if !sameID {
				name = "node1-restarted"
			}
			b2 := tc.add(t, name, time.Second).join()
			for i := range 3 {
				b2.Enter(app, "room", fmt.Sprint("u", i), uint64(i+1))
			}
			a.Enter(app, "room", "u3", 10)
			a.Enter(app, "room", "u4", 11)
			tc.settle()
			tc.wantCounts(t, "room", 5, "after the restart")
			tc.clock.add(a.c.Expiry() + time.Second)
			tc.beat()
			a.c.expire()
			b2.c.expire()
			tc.wantCounts(t, "room", 5, "after the old process expired")
			if got := a.c.Nodes(); got != 2 {
				t.Fatalf("A counts %d live nodes, want 2", got)
			}
		})
	}
}

// TestClusterConcurrent: joins, leaves, bans, marks and sends on two
// nodes at once (under -race: the locking), then both nodes agree with
// the trackers.
func TestClusterConcurrent(t *testing.T) {
	tc := newTestCluster(t, 2)
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, n := range tc.nodes {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					n.c.flush(ctx)
					n.c.Members(app, "room0", 0, 0, 50)
				}
			}
		})
	}
	var workers sync.WaitGroup
	for w := range 6 {
		workers.Go(func() {
			n := tc.nodes[w%2]
			room := fmt.Sprint("room", w%3)
			for i := range 200 {
				u := fmt.Sprintf("u%d", i%50) // the same users on both nodes
				conn := uint64(w*1000 + i + 1)
				n.Enter(app, room, u, conn)
				n.c.SetMarks(app, room, u, []int{1000 + i%3}, true)
				switch i % 3 {
				case 1:
					n.Leave(app, room, u, conn)
				case 2:
					n.Remove(app, room, u)
				}
			}
		})
	}
	workers.Wait()
	close(stop)
	wg.Wait()
	tc.settle()
	for r := range 3 {
		room := fmt.Sprint("room", r)
		union := map[string]bool{}
		for _, n := range tc.nodes {
			for _, m := range listedLocal(n, room) {
				union[m] = true
			}
		}
		tc.wantCounts(t, room, len(union), "after the storm")
	}
}

// listedLocal is who a node's tracker holds in a room.
func listedLocal(n *testNode, room string) []string {
	var out []string
	for i := range 50 {
		if u := fmt.Sprintf("u%d", i); n.IsOnline(app, room, u) {
			out = append(out, u)
		}
	}
	return out
}
