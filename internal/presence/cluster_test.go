package presence

import (
	"context"
	"fmt"
	"sync"
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
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { nodes[1].cluster.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for nodes[0].cluster.Count(1, "room") != 5 {
		if time.Now().After(deadline) {
			t.Fatal("A never saw B's snapshot")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
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
