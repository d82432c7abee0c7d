package presence

// groupIndex is the cluster-wide view of stored groups (Work, Public,
// Meeting, Community): for every group, its members who have a connection
// attached to it on some node. It holds no more than that, as a member of
// a thousand groups is in a thousand of these.
type groupIndex struct {
	shards[roomKey, *groupView]
}

// groupView is one group's online members: len(one)+len(many), O(1).
type groupView struct {
	one  map[string]*peer   // online on exactly one node: nearly everyone
	many map[string][]*peer // online on several nodes
}

func (x *groupIndex) count(k roomKey) int {
	n := 0
	x.read(k, func(v *groupView) {
		if v != nil {
			n = len(v.one) + len(v.many)
		}
	})
	return n
}

// apply makes a change of peer p: user online (opSet) or offline
// (opRemove) in each group of c.IDs. It returns the groups it changed.
func (x *groupIndex) apply(p *peer, c *change) []string {
	var changed []string
	for _, id := range c.IDs {
		k := roomKey{c.App, id}
		x.update(k, func(m map[roomKey]*groupView) {
			if setOnline(m, p, k, c.User, c.Op == opSet) {
				changed = append(changed, id)
			}
		})
	}
	return changed
}

// setOnline sets or clears p's hold on user in the group and reports
// whether that changed anything.
func setOnline(m map[roomKey]*groupView, p *peer, k roomKey, user string, online bool) bool {
	v := m[k]
	if online {
		if v == nil {
			v = &groupView{one: map[string]*peer{}}
			m[k] = v
		}
		return v.add(p, user)
	}
	if v == nil || !v.remove(p, user) {
		return false
	}
	if len(v.one) == 0 && len(v.many) == 0 {
		delete(m, k)
	}
	return true
}

func (v *groupView) add(p *peer, user string) bool {
	if q, ok := v.one[user]; ok {
		if q == p {
			return false
		}
		delete(v.one, user)
		if v.many == nil {
			v.many = map[string][]*peer{}
		}
		v.many[user] = []*peer{q, p}
		return true
	}
	ps := v.many[user]
	for _, q := range ps {
		if q == p {
			return false
		}
	}
	if ps != nil {
		v.many[user] = append(ps, p)
		return true
	}
	v.one[user] = p
	return true
}

func (v *groupView) remove(p *peer, user string) bool {
	if q, ok := v.one[user]; ok {
		if q != p {
			return false
		}
		delete(v.one, user)
		return true
	}
	ps := v.many[user]
	for i, q := range ps {
		if q != p {
			continue
		}
		if len(ps) == 2 {
			delete(v.many, user)
			v.one[user] = ps[1-i]
		} else {
			v.many[user] = append(ps[:i:i], ps[i+1:]...)
		}
		return true
	}
	return false
}

// holders calls fn with each user p holds in the group.
func (v *groupView) holders(p *peer, fn func(user string)) {
	for user, q := range v.one {
		if q == p {
			fn(user)
		}
	}
	for user, ps := range v.many {
		for _, q := range ps {
			if q == p {
				fn(user)
			}
		}
	}
}

// dropGroups removes everything p holds in one part of the index.
func dropGroups(m map[roomKey]*groupView, p *peer) {
	for k, v := range m {
		v.holders(p, func(user string) { setOnline(m, p, k, user, false) })
	}
}

func (x *groupIndex) dropPeer(p *peer) {
	x.each(func(m map[roomKey]*groupView) { dropGroups(m, p) })
}

// hold is one user online in one group, as a snapshot lists it.
type hold struct {
	k    roomKey
	user string
}

// replace makes p hold exactly what a snapshot lists.
func (x *groupIndex) replace(p *peer, snapshot []*change) {
	var holds []hold
	for _, c := range snapshot {
		for _, id := range c.IDs {
			holds = append(holds, hold{roomKey{c.App, id}, c.User})
		}
	}
	replaceIn(&x.shards, holds,
		func(h hold) roomKey { return h.k },
		func(m map[roomKey]*groupView) { dropGroups(m, p) },
		func(m map[roomKey]*groupView, h hold) { setOnline(m, p, h.k, h.user, true) })
}

// dump appends, as changes, what p holds: one change per user and app
// with their groups, so a user's ID travels once, not once per group.
func (x *groupIndex) dump(p *peer, out []change) []change {
	byUser := map[userKey][]string{}
	x.scan(func(m map[roomKey]*groupView) {
		for k, v := range m {
			v.holders(p, func(user string) {
				u := userKey{k.appID, user}
				byUser[u] = append(byUser[u], k.groupID)
			})
		}
	})
	for u, ids := range byUser {
		out = appendGroupChanges(out, opSet, u.appID, u.userID, ids)
	}
	return out
}

// appendGroupChanges appends the change of one user in groups ids, in
// pieces of at most maxIDsPerChange groups so that any one change fits a
// message.
func appendGroupChanges(out []change, op int, appID uint64, userID string, ids []string) []change {
	for len(ids) > 0 {
		n := min(len(ids), maxIDsPerChange)
		out = append(out, change{Kind: kindGroup, Op: op, App: appID, User: userID, IDs: ids[:n:n]})
		ids = ids[n:]
	}
	return out
}

// GroupMemberOnline records that userID's first connection on this node
// attached to the stored group (online true), or that their last one on
// this node left it (online false). The gateway calls it on those two
// transitions only; calling it again with the same value changes nothing.
// Calls for one user must not race each other: the gateway makes them
// under its lock of the user's connections.
//
// The change counts on this node at once and reaches the other nodes
// within milliseconds (one bus message, batched with other changes).
func (c *Cluster) GroupMemberOnline(appID uint64, groupID, userID string, online bool) {
	c.GroupMemberOnlineMany(appID, userID, []string{groupID}, online)
}

// GroupMemberOnlineMany is GroupMemberOnline for many groups of one user
// at once: a login that attaches to every group the user belongs to, or a
// logout that leaves them all. Its cost is one map update per group on
// each node and one bus message of the group IDs (about 30 bytes per
// group), whatever the groups' sizes.
func (c *Cluster) GroupMemberOnlineMany(appID uint64, userID string, groupIDs []string, online bool) {
	op := opRemove
	if online {
		op = opSet
	}
	c.out.Lock()
	defer c.out.Unlock()
	changed := c.groups.apply(c.self, &change{Op: op, App: appID, User: userID, IDs: groupIDs})
	c.queueLocked(appendGroupChanges(nil, op, appID, userID, changed)...)
}

// GroupOnlineCount is how many distinct members of the stored group have
// a connection attached to it on any node: exact for this node's
// connections at the moment of the call, and for the other nodes' as of
// their latest changes (milliseconds old; at most one presence interval
// after a lost bus message). O(1): it reads one map's length.
func (c *Cluster) GroupOnlineCount(appID uint64, groupID string) int {
	c.waitSync()
	return c.groups.count(roomKey{appID, groupID})
}
