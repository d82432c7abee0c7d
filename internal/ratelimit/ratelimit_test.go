package ratelimit

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a manual clock for exact refills.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Unix(1700000000, 0)} }

// TestOneNode: a lone node is a plain token bucket of capacity rate,
// refilled at rate per second.
func TestOneNode(t *testing.T) {
	type step struct {
		advance time.Duration
		calls   int
		allowed int
	}
	tests := []struct {
		name  string
		rate  float64
		steps []step
	}{
		{"starts full, then refused", 5, []step{{0, 7, 5}}},
		{"one second refills all", 5, []step{{0, 5, 5}, {time.Second, 6, 5}}},
		{"half a second refills half", 4, []step{{0, 4, 4}, {500 * time.Millisecond, 3, 2}}},
		{"never more than capacity", 3, []step{{0, 3, 3}, {time.Hour, 5, 3}}},
		{"rate 0 is no limit", 0, []step{{0, 1000, 1000}}},
		{"below one per second", 0.5, []step{{0, 2, 1}, {time.Second, 1, 0}, {time.Second, 1, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			l := New[string](Options{Now: c.now})
			for i, s := range tc.steps {
				c.advance(s.advance)
				got := 0
				for range s.calls {
					if l.Allow("k", tc.rate) {
						got++
					}
				}
				if got != s.allowed {
					t.Fatalf("step %d: %d of %d allowed, want %d", i, got, s.calls, s.allowed)
				}
			}
		})
	}
}

func TestKeysAreIndependent(t *testing.T) {
	l := New[string](Options{Now: newClock().now})
	if !l.Allow("a", 1) || l.Allow("a", 1) {
		t.Fatal("key a: want one call, then a refusal")
	}
	if !l.Allow("b", 1) {
		t.Fatal("key b was refused because of key a")
	}
}

// TestClusterShare drives n nodes evenly at three times a rate for ten
// seconds: the cluster as a whole allows the rate, within 10%, beyond
// the one second of burst every bucket starts with.
func TestClusterShare(t *testing.T) {
	const (
		rate    = 90.0
		seconds = 10
		tick    = 10 * time.Millisecond
	)
	for _, nodes := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(nodes, " nodes"), func(t *testing.T) {
			c := newClock()
			limiters := make([]*Limiter[string], nodes)
			for i := range limiters {
				limiters[i] = New[string](Options{Now: c.now, Nodes: func() int { return nodes }})
			}
			// 3×rate calls per second, round robin over the nodes.
			perTick := int(3 * rate * tick.Seconds())
			allowed, calls := 0, 0
			for range seconds * int(time.Second/tick) {
				c.advance(tick)
				for range perTick {
					if limiters[calls%nodes].Allow("api", rate) {
						allowed++
					}
					calls++
				}
			}
			want := rate * seconds
			burst := rate // every node starts with a full bucket: one second of its share
			if got := float64(allowed) - burst; got < 0.9*want || got > 1.1*want {
				t.Fatalf("%d nodes allowed %d of %d calls (%.0f beyond the first burst), want %.0f ±10%%", nodes, allowed, calls, got, want)
			}
		})
	}
}

// TestShareFollowsNodes: when a node leaves, the others take over its
// share from their next call on.
func TestShareFollowsNodes(t *testing.T) {
	c := newClock()
	var nodes atomic.Int64
	nodes.Store(3)
	l := New[string](Options{Now: c.now, Nodes: func() int { return int(nodes.Load()) }})
	count := func(key string, rate float64) int {
		n := 0
		for range 100 {
			if l.Allow(key, rate) {
				n++
			}
		}
		return n
	}
	if got := count("api", 30); got != 10 {
		t.Fatalf("one of 3 nodes allowed %d of a 30/s rate at once, want 10", got)
	}
	c.advance(time.Second)
	if got := count("api", 30); got != 10 {
		t.Fatalf("one of 3 nodes allowed %d in the next second, want 10", got)
	}
	nodes.Store(2)
	c.advance(time.Second)
	if got := count("api", 30); got != 15 {
		t.Fatalf("one of 2 nodes allowed %d in a second, want 15", got)
	}
	nodes.Store(0) // a broken count is one node, not a division by zero
	c.advance(time.Second)
	if got := count("api", 30); got != 30 {
		t.Fatalf("a lone node allowed %d in a second, want 30", got)
	}
	// Many nodes and a small rate: each node still gets a call through
	// now and then, never more than the cluster-wide rate on average.
	nodes.Store(4)
	if got := count("slow", 1); got != 1 {
		t.Fatalf("one of 4 nodes with a 1/s rate allowed %d at once, want 1", got)
	}
}

// TestIdleBucketsAreDropped: keys that stop being used (groups that
// stopped sending) do not stay in memory.
func TestIdleBucketsAreDropped(t *testing.T) {
	c := newClock()
	l := New[int](Options{Now: c.now})
	for g := range 1000 {
		l.Allow(g, 40)
	}
	l.Allow(-1, 0.01) // empties a bucket that takes 100 s to refill
	l.Allow(-1, 0.01)
	c.advance(sweepEvery)
	for i := range l.shards {
		l.shards[i].mu.Lock()
		l.shards[i].sweep(c.now())
		l.shards[i].mu.Unlock()
	}
	held := 0
	for i := range l.shards {
		held += len(l.shards[i].buckets)
	}
	if held != 1 {
		t.Fatalf("%d buckets held after every group went idle, want only the one still refilling", held)
	}
	if l.Allow(-1, 0.01) {
		t.Fatal("the bucket still refilling was dropped: its key got a fresh, full one")
	}
}
