package presence

import (
	"slices"
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
	shards[userKey, []userEntry]
}

type userEntry struct {
	peer      *peer
	platforms []string
}

// apply makes a change of peer p: user online with these platforms
// (opSet), or offline there (opRemove).
func (x *userIndex) apply(p *peer, c *change) {
	k := userKey{c.App, c.User}
	x.update(k, func(m map[userKey][]userEntry) { setPlatforms(m, p, k, c) })
}

func setPlatforms(m map[userKey][]userEntry, p *peer, k userKey, c *change) {
	es := m[k]
	i := slices.IndexFunc(es, func(e userEntry) bool { return e.peer == p })
	switch {
	case c.Op == opSet && i >= 0:
		es[i].platforms = c.Platforms
	case c.Op == opSet:
		m[k] = append(es, userEntry{p, c.Platforms})
	case i >= 0 && len(es) == 1:
		delete(m, k)
	case i >= 0:
		m[k] = slices.Delete(es, i, i+1)
	}
}

func dropUsers(m map[userKey][]userEntry, p *peer) {
	for k := range m {
		setPlatforms(m, p, k, &change{Op: opRemove})
	}
}

func (x *userIndex) dropPeer(p *peer) {
	x.each(func(m map[userKey][]userEntry) { dropUsers(m, p) })
}

// replace makes p hold exactly the users of a snapshot.
func (x *userIndex) replace(p *peer, snapshot []*change) {
	replaceIn(&x.shards, snapshot,
		func(c *change) userKey { return userKey{c.App, c.User} },
		func(m map[userKey][]userEntry) { dropUsers(m, p) },
		func(m map[userKey][]userEntry, c *change) { setPlatforms(m, p, userKey{c.App, c.User}, c) })
}

// platforms returns the distinct platforms of the user's connections on
// every node it knows of.
func (x *userIndex) platforms(k userKey) []string {
	var out []string
	x.read(k, func(es []userEntry) {
		for _, e := range es {
			for _, p := range e.platforms {
				if !slices.Contains(out, p) {
					out = append(out, p)
				}
			}
		}
	})
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
