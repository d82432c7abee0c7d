package presence

import (
	"slices"
)

// roomIndex is the cluster-wide view of live rooms: for every room, the
// users in it on any node, each with the node-local entries that hold them
// there. A user on two nodes has two entries and counts once.
type roomIndex struct {
	shards[roomKey, *roomView]
}

// roomMap is one part of the index.
type roomMap map[roomKey]*roomView

// roomView is one room across the cluster.
type roomView struct {
	// users maps each user in the room to their entries, one per node
	// they are in the room on: the count is len(users), O(1).
	users map[string][]*roomEntry
	// lists holds each node's entries in join order. A node's stamps only
	// grow and its changes arrive in order, so an entry is appended at the
	// newest end; listing merges the lists from their newest ends, which
	// walks at most the members it lists, whatever the room size.
	lists map[*peer]*entryList
	// marks counts, per mark, the entries holding it for each user, so a
	// mark's distinct holders are len(marks[mark]). Nil until a mark is set.
	marks map[int]map[string]int
}

// roomEntry is one user in one room on one node.
type roomEntry struct {
	peer  *peer
	user  string
	stamp int64
	join  int64
	marks []int
	prev  *roomEntry // older on the same node
	next  *roomEntry // newer on the same node
}

type entryList struct{ oldest, newest *roomEntry }

// apply makes a change of peer p in a live room.
func (x *roomIndex) apply(p *peer, c *change) {
	if len(c.IDs) == 1 {
		x.update(roomKey{c.App, c.IDs[0]}, func(m map[roomKey]*roomView) { roomMap(m).apply(p, c) })
	}
}

func (m roomMap) apply(p *peer, c *change) {
	k := roomKey{c.App, c.IDs[0]}
	switch c.Op {
	case opSet:
		m.set(p, k, c.User, c.Stamp, c.Join, c.Marks)
	case opRemove:
		if v := m[k]; v != nil {
			if e := v.entry(p, c.User); e != nil {
				m.remove(k, v, e)
			}
		}
	case opDrop:
		if v := m[k]; v != nil {
			m.dropList(k, v, p)
		}
	}
}

// set records that p holds user in the room, with these details.
func (m roomMap) set(p *peer, k roomKey, user string, stamp, join int64, marks []int) {
	v := m[k]
	if v == nil {
		v = &roomView{users: map[string][]*roomEntry{}, lists: map[*peer]*entryList{}}
		m[k] = v
	}
	e := v.entry(p, user)
	if e == nil {
		e = &roomEntry{peer: p, user: user}
		v.users[user] = append(v.users[user], e)
	} else {
		v.unmark(e)
		if e.stamp != stamp {
			v.unlink(e)
		} else {
			e.marks = slices.Clone(marks)
			e.join = join
			v.mark(e)
			return
		}
	}
	e.stamp, e.join, e.marks = stamp, join, slices.Clone(marks)
	v.link(e)
	v.mark(e)
}

func (v *roomView) entry(p *peer, user string) *roomEntry {
	for _, e := range v.users[user] {
		if e.peer == p {
			return e
		}
	}
	return nil
}

// remove takes one entry out, the user with it when it was their last,
// and the room when it empties.
func (m roomMap) remove(k roomKey, v *roomView, e *roomEntry) {
	v.unlink(e)
	v.unmark(e)
	es := v.users[e.user]
	i := slices.Index(es, e)
	if len(es) == 1 {
		delete(v.users, e.user)
	} else {
		v.users[e.user] = slices.Delete(es, i, i+1)
	}
	if len(v.users) == 0 {
		delete(m, k)
	}
}

// dropList removes every entry p holds in the room.
func (m roomMap) dropList(k roomKey, v *roomView, p *peer) {
	l := v.lists[p]
	for l != nil && l.newest != nil {
		m.remove(k, v, l.newest)
	}
}

// dropPeer removes everything p holds in this part.
func (m roomMap) dropPeer(p *peer) {
	for k, v := range m {
		m.dropList(k, v, p)
	}
}

// link puts e in its node's list by stamp: at the newest end, except for
// a change replayed after a snapshot (see Cluster.publishSnapshot).
func (v *roomView) link(e *roomEntry) {
	l := v.lists[e.peer]
	if l == nil {
		l = &entryList{}
		v.lists[e.peer] = l
	}
	after := l.newest
	for after != nil && after.stamp > e.stamp {
		after = after.prev
	}
	e.prev = after
	if after == nil {
		e.next, l.oldest = l.oldest, e
	} else {
		e.next, after.next = after.next, e
	}
	if e.next == nil {
		l.newest = e
	} else {
		e.next.prev = e
	}
}

func (v *roomView) unlink(e *roomEntry) {
	l := v.lists[e.peer]
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.oldest = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.newest = e.prev
	}
	e.prev, e.next = nil, nil
	if l.newest == nil {
		delete(v.lists, e.peer)
	}
}

func (v *roomView) mark(e *roomEntry) {
	for _, mk := range e.marks {
		if v.marks == nil {
			v.marks = map[int]map[string]int{}
		}
		holders := v.marks[mk]
		if holders == nil {
			holders = map[string]int{}
			v.marks[mk] = holders
		}
		holders[e.user]++
	}
}

func (v *roomView) unmark(e *roomEntry) {
	for _, mk := range e.marks {
		holders := v.marks[mk]
		if holders[e.user]--; holders[e.user] <= 0 {
			delete(holders, e.user)
		}
		if len(holders) == 0 {
			delete(v.marks, mk)
		}
	}
}

// first is the user's entry with the earliest join: where they are listed
// and the join time they are listed with.
func first(es []*roomEntry) *roomEntry {
	f := es[0]
	for _, e := range es[1:] {
		if e.stamp < f.stamp {
			f = e
		}
	}
	return f
}

// holds reports whether user holds mark on any node.
func (v *roomView) holds(user string, mark int) bool { return v.marks[mark][user] > 0 }

// member is how a listing shows user: once, with their earliest join and
// the marks they hold on any node.
func (v *roomView) member(user string) OnlineMember {
	es := v.users[user]
	f := first(es)
	marks := slices.Clone(f.marks)
	for _, e := range es {
		for _, mk := range e.marks {
			if !slices.Contains(marks, mk) {
				marks = append(marks, mk)
			}
		}
	}
	return OnlineMember{UserID: user, JoinTime: f.join, Marks: marks, Stamp: f.stamp}
}

// list pages through the room's members, newest first, each user once
// (see Cluster.Members).
func (v *roomView) list(mark int, cursor int64, limit int) ([]OnlineMember, int64) {
	if mark != 0 {
		return v.markHolders(mark, cursor, limit)
	}
	heads := make([]*roomEntry, 0, len(v.lists))
	for _, l := range v.lists {
		heads = append(heads, l.newest)
	}
	// pos counts listable members from the newest, including those listed
	// on earlier pages, so the MaxListed cap holds across pages.
	var out []OnlineMember
	pos, last := 0, int64(0)
	for pos < MaxListed {
		newest := -1
		for i, e := range heads {
			if e != nil && (newest < 0 || e.stamp > heads[newest].stamp) {
				newest = i
			}
		}
		if newest < 0 {
			break
		}
		e := heads[newest]
		heads[newest] = e.prev
		if first(v.users[e.user]) != e || v.holds(e.user, MarkHidden) {
			continue // listed at their earlier join, or hidden
		}
		pos++
		if cursor > 0 && e.stamp >= cursor {
			continue
		}
		if len(out) == limit {
			return out, last
		}
		out = append(out, v.member(e.user))
		last = e.stamp
	}
	return out, 0
}

// markHolders lists the holders of one mark, newest first. The vendor caps
// a mark at 1,000 holders, so sorting them is cheap.
func (v *roomView) markHolders(mark int, cursor int64, limit int) ([]OnlineMember, int64) {
	holders := make([]OnlineMember, 0, len(v.marks[mark]))
	for user := range v.marks[mark] {
		holders = append(holders, v.member(user))
	}
	return page(holders, cursor, limit)
}

// page sorts members newest first, keeps the MaxListed newest, and
// returns the page of at most limit members after cursor, with the cursor
// of the next page (0 when none is left).
func page(members []OnlineMember, cursor int64, limit int) ([]OnlineMember, int64) {
	slices.SortFunc(members, func(a, b OnlineMember) int { return compareDesc(a.Stamp, b.Stamp) })
	if len(members) > MaxListed {
		members = members[:MaxListed]
	}
	var out []OnlineMember
	for i, m := range members {
		if cursor > 0 && m.Stamp >= cursor {
			continue
		}
		if len(out) == limit {
			return out, members[i-1].Stamp
		}
		out = append(out, m)
	}
	return out, 0
}

func compareDesc(a, b int64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// dump appends, as changes, every entry p holds, each room in join order.
func (x *roomIndex) dump(p *peer, out []change) []change {
	x.scan(func(m map[roomKey]*roomView) {
		for k, v := range m {
			for e := v.lists[p].oldestOrNil(); e != nil; e = e.next {
				out = append(out, change{Kind: kindRoom, Op: opSet, App: k.appID, IDs: []string{k.groupID},
					User: e.user, Stamp: e.stamp, Join: e.join, Marks: slices.Clone(e.marks)})
			}
		}
	})
	return out
}

func (l *entryList) oldestOrNil() *roomEntry {
	if l == nil {
		return nil
	}
	return l.oldest
}

// replace makes p hold exactly the entries of a snapshot.
func (x *roomIndex) replace(p *peer, snapshot []*change) {
	snapshot = slices.DeleteFunc(snapshot, func(c *change) bool { return len(c.IDs) != 1 })
	replaceIn(&x.shards, snapshot,
		func(c *change) roomKey { return roomKey{c.App, c.IDs[0]} },
		func(m map[roomKey]*roomView) { roomMap(m).dropPeer(p) },
		func(m map[roomKey]*roomView, c *change) { roomMap(m).apply(p, c) })
}

func (x *roomIndex) dropPeer(p *peer) {
	x.each(func(m map[roomKey]*roomView) { roomMap(m).dropPeer(p) })
}
