// Package ratelimit enforces per-second rates that hold for a whole chatd
// cluster without a network round trip per call.
//
// Each node keeps one token bucket per key and takes its equal share of
// every rate: with n live nodes a node allows rate/n per second. The node
// count comes from presence (presence.Cluster.Nodes), so the shares follow
// nodes as they come and go. Behind a balancer that spreads calls evenly
// the cluster as a whole allows the rate; see docs/ARCHITECTURE.md for
// what skewed traffic and a lost broker do to it.
package ratelimit

import (
	"hash/maphash"
	"sync"
	"time"
)

// shardCount spreads keys over independent locks, so calls on different
// keys (different groups, different APIs) rarely contend.
const shardCount = 32

// sweepEvery is how often a shard drops its idle buckets. A bucket that
// has refilled completely is the same as no bucket, so dropping it changes
// no answer; it only keeps a limiter keyed by group from growing with
// every group that ever sent a message.
const sweepEvery = time.Minute

// Options configure a Limiter; the zero value is one node on the wall
// clock.
type Options struct {
	// Now reads the clock; time.Now when nil.
	Now func() time.Time
	// Nodes reports how many live nodes share each rate, this one
	// included; called on every Allow, so it must be cheap. Nil, or a
	// result below 1, counts as 1.
	Nodes func() int
}

// Limiter is a set of token buckets keyed by K: one per API and app, one
// per group. It is safe for concurrent use.
type Limiter[K comparable] struct {
	now    func() time.Time
	nodes  func() int
	seed   maphash.Seed
	shards [shardCount]shard[K]
}

type shard[K comparable] struct {
	mu      sync.Mutex
	buckets map[K]*bucket
	swept   time.Time
}

// bucket is a token bucket whose rate is given on each call, so a change
// of the node count applies to the tokens from then on.
type bucket struct {
	tokens float64
	last   time.Time
	// full is when the bucket will have refilled completely, from which
	// on it is the same as a fresh one and may be dropped.
	full time.Time
}

// New returns a Limiter with no buckets yet.
func New[K comparable](opts Options) *Limiter[K] {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Limiter[K]{now: opts.Now, nodes: opts.Nodes, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].buckets = make(map[K]*bucket)
	}
	return l
}

// Allow takes one event for key against a cluster-wide limit of rate
// events per second, reporting false, and taking nothing, when key is over
// it. rate <= 0 means no limit.
//
// This node's bucket refills at rate/n per second for n live nodes and
// holds at most one second of that (at least one event, so a rate smaller
// than the node count still lets each node through now and then). A key
// seen for the first time starts with a full bucket.
func (l *Limiter[K]) Allow(key K, rate float64) bool {
	if rate <= 0 {
		return true
	}
	n := 1
	if l.nodes != nil {
		n = max(l.nodes(), 1)
	}
	local := rate / float64(n)
	capacity := max(local, 1)
	now := l.now()
	s := &l.shards[maphash.Comparable(l.seed, key)%shardCount]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: capacity, last: now}
		s.buckets[key] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens += elapsed * local
		b.last = now
	}
	b.tokens = min(b.tokens, capacity) // also when the share just shrank
	ok := b.tokens >= 1
	if ok {
		b.tokens--
	}
	b.full = now.Add(time.Duration((capacity - b.tokens) / local * float64(time.Second)))
	return ok
}

// sweep drops the buckets that have refilled completely, at most once per
// sweepEvery. The shard must be locked.
func (s *shard[K]) sweep(now time.Time) {
	if now.Sub(s.swept) < sweepEvery {
		return
	}
	s.swept = now
	for k, b := range s.buckets {
		if !now.Before(b.full) {
			delete(s.buckets, k)
		}
	}
}
