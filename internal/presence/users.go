package presence

import (
	"hash/maphash"
	"slices"
	"sync"
)

// UserRef is a user connected to a node, with the platforms of their
// connections there.
type UserRef struct {
	AppID     uint64
	UserID    string
	Platforms []string
}

type userKey struct {
	appID  uint64
	userID string
}

// userIndex is which users the other nodes hold connections of, with
// their platforms there: the cluster half of online status. This node's
// own users are the gateway's to answer.
type userIndex struct {
	seed   maphash.Seed
	shards [shardCount]userShard
}

type userShard struct {
	mu    sync.RWMutex
	users map[userKey][]userEntry
}

type userEntry struct {
	peer      *peer
	platforms []string
}

func (x *userIndex) init() {
	x.seed = maphash.MakeSeed()
	for i := range x.shards {
		x.shards[i].users = map[userKey][]userEntry{}
	}
}

func (x *userIndex) shard(k userKey) *userShard {
	return &x.shards[maphash.Comparable(x.seed, k)%shardCount]
}

// apply makes a change of peer p: user online with these platforms
// (opSet), or offline there (opRemove).
func (x *userIndex) apply(p *peer, c *change) {
	k := userKey{c.App, c.User}
	s := x.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apply(p, k, c)
}

func (s *userShard) apply(p *peer, k userKey, c *change) {
	es := s.users[k]
	i := slices.IndexFunc(es, func(e userEntry) bool { return e.peer == p })
	switch {
	case c.Op == opSet && i >= 0:
		es[i].platforms = c.Platforms
	case c.Op == opSet:
		s.users[k] = append(es, userEntry{p, c.Platforms})
	case i >= 0 && len(es) == 1:
		delete(s.users, k)
	case i >= 0:
		s.users[k] = slices.Delete(es, i, i+1)
	}
}

func (s *userShard) dropPeer(p *peer) {
	for k, es := range s.users {
		if slices.ContainsFunc(es, func(e userEntry) bool { return e.peer == p }) {
			s.apply(p, k, &change{Op: opRemove})
		}
	}
}

func (x *userIndex) dropPeer(p *peer) {
	for i := range x.shards {
		s := &x.shards[i]
		s.mu.Lock()
		s.dropPeer(p)
		s.mu.Unlock()
	}
}

// replace makes p hold exactly the users of a snapshot, shard by shard.
func (x *userIndex) replace(p *peer, snapshot []*change) {
	byShard := map[*userShard][]*change{}
	for _, c := range snapshot {
		s := x.shard(userKey{c.App, c.User})
		byShard[s] = append(byShard[s], c)
	}
	for i := range x.shards {
		s := &x.shards[i]
		s.mu.Lock()
		s.dropPeer(p)
		for _, c := range byShard[s] {
			s.apply(p, userKey{c.App, c.User}, c)
		}
		s.mu.Unlock()
	}
}

// platforms returns the distinct platforms of the user's connections on
// every node it knows of.
func (x *userIndex) platforms(k userKey) []string {
	s := x.shard(k)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, e := range s.users[k] {
		for _, p := range e.platforms {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// diffUsers compares the users connected to this node with those last
// told to the others and queues the difference: the cost on the bus is
// the logins and logouts since the last interval, not the users online.
func (c *Cluster) diffUsers() {
	if c.localUsers == nil {
		return
	}
	// Read before taking the lock: the gateway calls into presence while
	// holding its own, so presence must never call it while holding one.
	now := map[userKey][]string{}
	for _, u := range c.localUsers() {
		ps := slices.Clone(u.Platforms)
		slices.Sort(ps)
		now[userKey{u.AppID, u.UserID}] = ps
	}
	c.out.Lock()
	defer c.out.Unlock()
	if !c.out.on {
		return
	}
	for k, ps := range now {
		if old, ok := c.out.users[k]; !ok || !slices.Equal(old, ps) {
			c.queueLocked(change{Kind: kindUser, Op: opSet, App: k.appID, User: k.userID, Platforms: ps})
		}
	}
	for k := range c.out.users {
		if _, ok := now[k]; !ok {
			c.queueLocked(change{Kind: kindUser, Op: opRemove, App: k.appID, User: k.userID})
		}
	}
	c.out.users = now
}
