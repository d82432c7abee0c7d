package presence

import (
	"hash/maphash"
	"sync"
)

// shards spreads one index of the cluster view over shardCount maps with
// locks of their own, so changes to different rooms or groups do not
// contend, and a whole-index change (a node dropped, or replaced by its
// snapshot) is made one part at a time: a query sees each key as it was
// or as it is now, never half-changed.
type shards[K comparable, V any] struct {
	seed  maphash.Seed
	parts [shardCount]part[K, V]
}

type part[K comparable, V any] struct {
	sync.RWMutex
	m map[K]V
}

func (x *shards[K, V]) init() {
	x.seed = maphash.MakeSeed()
	for i := range x.parts {
		x.parts[i].m = map[K]V{}
	}
}

func (x *shards[K, V]) part(k K) *part[K, V] {
	return &x.parts[maphash.Comparable(x.seed, k)%shardCount]
}

// read runs fn with the value at k (the zero value when there is none)
// read-locked.
func (x *shards[K, V]) read(k K, fn func(v V)) {
	p := x.part(k)
	p.RLock()
	defer p.RUnlock()
	fn(p.m[k])
}

// update runs fn with the part holding k write-locked.
func (x *shards[K, V]) update(k K, fn func(m map[K]V)) {
	p := x.part(k)
	p.Lock()
	defer p.Unlock()
	fn(p.m)
}

// each runs fn on every part in turn, write-locked.
func (x *shards[K, V]) each(fn func(m map[K]V)) {
	for i := range x.parts {
		p := &x.parts[i]
		p.Lock()
		fn(p.m)
		p.Unlock()
	}
}

// scan runs fn on every part in turn, read-locked.
func (x *shards[K, V]) scan(fn func(m map[K]V)) {
	for i := range x.parts {
		p := &x.parts[i]
		p.RLock()
		fn(p.m)
		p.RUnlock()
	}
}

// replaceIn makes one node's entries in x exactly those of its snapshot,
// part by part: drop removes all the node holds from a part's map, add
// puts one snapshot entry, whose key is key(e), in it.
func replaceIn[K comparable, V, E any](x *shards[K, V], entries []E, key func(E) K, drop func(map[K]V), add func(map[K]V, E)) {
	byPart := map[*part[K, V]][]E{}
	for _, e := range entries {
		p := x.part(key(e))
		byPart[p] = append(byPart[p], e)
	}
	for i := range x.parts {
		p := &x.parts[i]
		p.Lock()
		drop(p.m)
		for _, e := range byPart[p] {
			add(p.m, e)
		}
		p.Unlock()
	}
}
