// Package presence knows who is online, cluster-wide: in which live room
// (AVChatRoom) and in which stored group, and on which platforms.
//
// A Tracker holds this node's live-room connections: which connections
// each user holds in a room, when they entered, and the marks an admin
// attached to them. The gateway owns it (Enter, Leave, Remove, DropRoom).
// A Cluster replicates every node's membership to every node and answers
// the REST layer's questions (counts, member lists, marks, online status)
// from memory, counting each user once however many nodes and devices
// they are on (see cluster.go).
//
// Nothing here is persisted: live-group membership is, by the vendor's
// rules, only "who is connected right now" (rest-groups.md S2, "member
// list stored: no").
package presence

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// MaxListed is how many online members Members ever lists: the most recently
// joined ones (rest-groups.md, get_members: "at most the 1,000 most recently
// joined online members are ever listed").
const MaxListed = 1000

// MarkHidden is the special mark that hides a member from unfiltered
// listings; only a query for this very mark lists its holders.
const MarkHidden = 600

// MarkAlwaysOnline is the special mark that keeps a member online, counted
// and listed, whatever their connections do, for at most MaxAlwaysOnline
// from when it was set. Unlike other marks it may be set on a user who is
// not connected (rest-groups.md, modify_user_info).
const MarkAlwaysOnline = 500

// MaxAlwaysOnline is how long MarkAlwaysOnline holds a member online.
const MaxAlwaysOnline = 3 * 24 * time.Hour

// shardCount spreads rooms over independent locks so joins in different
// rooms do not contend. A room lives in exactly one shard, which keeps every
// room operation a single-lock critical section (no lock ordering to get
// wrong, and a room can be deleted when it empties without racing a join).
const shardCount = 64

// OnlineMember is one user online in a room, as Members lists it.
type OnlineMember struct {
	UserID   string
	JoinTime int64 // Unix seconds of the user's first connection into the room
	Marks    []int // nil when the member holds none
	// Stamp orders joins: Unix microseconds of the join, made strictly
	// increasing per node. It is the paging cursor, and because it is a
	// time it also orders members listed from several nodes. Microseconds
	// keep it below 2^53, so JSON clients that read numbers as doubles
	// (JavaScript) echo it back exactly.
	Stamp int64
}

// Tracker records the users online per room on this node. It is safe for
// concurrent use.
type Tracker struct {
	now       func() time.Time
	seed      maphash.Seed
	lastStamp atomic.Int64
	shards    [shardCount]shard
	// observer hears every change of a member, under the room's lock, so
	// in the order the changes are made (see roomObserver).
	observer atomic.Pointer[roomObserver]
}

// roomObserver is told each change of this node's live-room membership
// while the room is locked: the Cluster replicates them in this order.
type roomObserver interface {
	// memberSet: the member entered the room, or their marks changed.
	memberSet(appID uint64, groupID string, m OnlineMember)
	memberLeft(appID uint64, groupID, userID string)
	roomDropped(appID uint64, groupID string)
}

type shard struct {
	mu    sync.RWMutex
	rooms map[roomKey]*room
}

type roomKey struct {
	appID   uint64
	groupID string
}

// room is the members of one room on this node.
type room struct {
	members map[string]*member
}

// member is kept small on purpose (about 100 bytes): a room may hold 50,000.
// Most users hold one connection per room, so the first one is inline and
// only extra devices allocate.
type member struct {
	userID   string
	seq      int64 // join stamp (OnlineMember.Stamp): the stable paging cursor
	joinTime int64
	conn     uint64
	more     []uint64
	marks    []int
	// pinnedUntil (Unix seconds) keeps the member in the room without
	// connections while it is in the future: MarkAlwaysOnline.
	pinnedUntil int64
}

// NewTracker returns an empty tracker reading the clock through now
// (time.Now when nil).
func NewTracker(now func() time.Time) *Tracker {
	if now == nil {
		now = time.Now
	}
	t := &Tracker{now: now, seed: maphash.MakeSeed()}
	for i := range t.shards {
		t.shards[i].rooms = make(map[roomKey]*room)
	}
	return t
}

// observe makes o hear every change from now on.
func (t *Tracker) observe(o roomObserver) { t.observer.Store(&o) }

func (t *Tracker) memberSet(k roomKey, m *member) {
	if o := t.observer.Load(); o != nil {
		(*o).memberSet(k.appID, k.groupID, m.snapshot())
	}
}

// nextStamp returns now in Unix microseconds, or one more than the last
// stamp handed out when the clock has not moved on (or went back), so
// stamps stay unique and increasing on this node.
func (t *Tracker) nextStamp(now time.Time) int64 {
	for {
		last := t.lastStamp.Load()
		stamp := max(now.UnixMicro(), last+1)
		if t.lastStamp.CompareAndSwap(last, stamp) {
			return stamp
		}
	}
}

func (t *Tracker) shard(k roomKey) *shard {
	return &t.shards[maphash.Comparable(t.seed, k)%shardCount]
}

// readRoom runs fn with the room's shard read-locked; r is nil when nobody
// is in the room.
func (t *Tracker) readRoom(appID uint64, groupID string, fn func(r *room)) {
	k := roomKey{appID, groupID}
	s := t.shard(k)
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn(s.rooms[k])
}

// updateMember runs fn with the room's shard write-locked and userID's
// member found. It reports false, without calling fn, when the user is not
// in the room.
func (t *Tracker) updateMember(appID uint64, groupID, userID string, fn func(s *shard, k roomKey, r *room, m *member)) bool {
	k := roomKey{appID, groupID}
	s := t.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rooms[k]
	if r == nil || r.members[userID] == nil {
		return false
	}
	fn(s, k, r, r.members[userID])
	return true
}

// Enter records one connection of userID in the room. It returns true when
// the user was not in the room before (their first connection). Entering
// again with a connection already recorded changes nothing. connID must not
// be 0: the tracker uses 0 as "no connection" to keep members small.
func (t *Tracker) Enter(appID uint64, groupID, userID string, connID uint64) bool {
	k := roomKey{appID, groupID}
	s := t.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.roomFor(k)
	if m := r.members[userID]; m != nil {
		if !m.hasConn(connID) {
			m.more = append(m.more, connID)
		}
		return false
	}
	m := t.addMember(r, userID, t.now())
	m.conn = connID
	t.memberSet(k, m)
	return true
}

// roomFor returns the room, creating it empty; the shard must be locked.
func (s *shard) roomFor(k roomKey) *room {
	r := s.rooms[k]
	if r == nil {
		r = &room{members: make(map[string]*member)}
		s.rooms[k] = r
	}
	return r
}

// addMember puts a new member, stamped now, at the newest end of the room.
func (t *Tracker) addMember(r *room, userID string, now time.Time) *member {
	m := &member{userID: userID, seq: t.nextStamp(now), joinTime: now.Unix()}
	r.members[userID] = m
	return m
}

// Leave removes one connection of userID from the room. It returns true when
// that was the user's last connection there, i.e. the user left; leaving
// also clears the user's marks (rest-groups.md, modify_user_info). An
// unknown connection changes nothing and returns false.
func (t *Tracker) Leave(appID uint64, groupID, userID string, connID uint64) bool {
	left := false
	now := t.now().Unix()
	t.updateMember(appID, groupID, userID, func(s *shard, k roomKey, r *room, m *member) {
		if m.dropConn(connID) && !m.connected() && m.pinnedUntil <= now {
			t.removeMember(s, k, r, m)
			left = true
		}
	})
	return left
}

// Remove drops userID from the room whatever connections they hold (a ban)
// and returns the connection IDs that were in the room, nil when the user
// was not there.
func (t *Tracker) Remove(appID uint64, groupID, userID string) []uint64 {
	var conns []uint64
	t.updateMember(appID, groupID, userID, func(s *shard, k roomKey, r *room, m *member) {
		conns = m.appendConns(nil)
		t.removeMember(s, k, r, m)
	})
	return conns
}

// DropRoom forgets the room (the group was destroyed) and returns the IDs of
// every connection that was in it.
func (t *Tracker) DropRoom(appID uint64, groupID string) []uint64 {
	k := roomKey{appID, groupID}
	s := t.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rooms[k]
	if r == nil {
		return nil
	}
	delete(s.rooms, k)
	if o := t.observer.Load(); o != nil {
		(*o).roomDropped(k.appID, k.groupID)
	}
	conns := make([]uint64, 0, len(r.members))
	for _, m := range r.members {
		conns = m.appendConns(conns)
	}
	return conns
}

// Count returns how many distinct users are online in the room. It is exact
// at the moment of the call and O(1): the map length is maintained by the
// runtime, nothing is scanned.
func (t *Tracker) Count(appID uint64, groupID string) int {
	n := 0
	t.readRoom(appID, groupID, func(r *room) {
		if r != nil {
			n = len(r.members)
		}
	})
	return n
}

// IsOnline reports whether userID holds at least one connection in the room.
func (t *Tracker) IsOnline(appID uint64, groupID, userID string) bool {
	online := false
	t.readRoom(appID, groupID, func(r *room) { online = r != nil && r.members[userID] != nil })
	return online
}

// Members pages through the room's members on this node alone, with the
// semantics of Cluster.Members. It sorts the room on each call: it is for
// tests and tools, while the REST layer lists through the Cluster.
func (t *Tracker) Members(appID uint64, groupID string, mark int, cursor int64, limit int) ([]OnlineMember, int64) {
	if limit <= 0 || limit > MaxListed {
		limit = MaxListed
	}
	var listable []OnlineMember
	t.readRoom(appID, groupID, func(r *room) {
		if r == nil {
			return
		}
		for _, m := range r.members {
			if (mark == 0 && !m.holds(MarkHidden)) || (mark != 0 && m.holds(mark)) {
				listable = append(listable, m.snapshot())
			}
		}
	})
	return page(listable, cursor, limit)
}

// SetMarks adds (add=true) or removes marks on userID in the room. It
// returns false, changing nothing, when the user is not online there (marks
// exist only on online members), except that adding MarkAlwaysOnline puts
// a user who is not connected into the room, held there by the mark.
func (t *Tracker) SetMarks(appID uint64, groupID, userID string, marks []int, add bool) bool {
	return t.setMarks(appID, groupID, userID, marks, add, true)
}

// SetMarksIfPresent is SetMarks that never puts a user into the room: for
// marks forwarded from another node, which holds the member itself.
func (t *Tracker) SetMarksIfPresent(appID uint64, groupID, userID string, marks []int, add bool) bool {
	return t.setMarks(appID, groupID, userID, marks, add, false)
}

func (t *Tracker) setMarks(appID uint64, groupID, userID string, marks []int, add, mayPin bool) bool {
	now := t.now()
	pin := slices.Contains(marks, MarkAlwaysOnline)
	k := roomKey{appID, groupID}
	s := t.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rooms[k]
	var m *member
	if r != nil {
		m = r.members[userID]
	}
	if m == nil {
		if !add || !pin || !mayPin {
			return false
		}
		r = s.roomFor(k)
		m = t.addMember(r, userID, now)
	}
	for _, mk := range marks {
		if add {
			m.addMark(mk)
		} else {
			m.removeMark(mk)
		}
	}
	switch {
	case pin && add:
		m.pinnedUntil = now.Add(MaxAlwaysOnline).Unix()
	case pin && !m.connected():
		t.removeMember(s, k, r, m) // only the mark held them: they leave now
		return true
	case pin:
		m.pinnedUntil = 0
	}
	t.memberSet(k, m)
	return true
}

// Sweep takes out of their rooms the members held online only by a
// MarkAlwaysOnline that has run out, and returns how many left.
func (t *Tracker) Sweep() int {
	now := t.now().Unix()
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for k, r := range s.rooms {
			for _, m := range r.members {
				if m.pinnedUntil > 0 && m.pinnedUntil <= now && !m.connected() {
					t.removeMember(s, k, r, m)
					n++
				}
			}
		}
		s.mu.Unlock()
	}
	return n
}

// RunSweeper calls Sweep every interval until ctx ends.
func (t *Tracker) RunSweeper(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			t.Sweep()
		}
	}
}

func (m *member) addMark(mk int) {
	if !m.holds(mk) {
		m.marks = append(m.marks, mk)
	}
}

func (m *member) removeMark(mk int) {
	if i := slices.Index(m.marks, mk); i >= 0 {
		m.marks = slices.Delete(m.marks, i, i+1)
	}
	if len(m.marks) == 0 {
		m.marks = nil
	}
}

// removeMember takes m out of the room, its marks with it, and deletes the
// room when it empties, so an idle node keeps no state for rooms nobody is
// in. The shard must be locked.
func (t *Tracker) removeMember(s *shard, k roomKey, r *room, m *member) {
	delete(r.members, m.userID)
	if len(r.members) == 0 {
		delete(s.rooms, k)
	}
	if o := t.observer.Load(); o != nil {
		(*o).memberLeft(k.appID, k.groupID, m.userID)
	}
}

// connected reports whether the member holds any connection.
func (m *member) connected() bool { return m.conn != 0 || len(m.more) > 0 }

func (m *member) hasConn(id uint64) bool {
	return m.conn == id || slices.Contains(m.more, id)
}

// dropConn removes one connection, reporting whether it was there. The
// inline slot is refilled from the extras so "no connections" is simply
// conn == 0 with no extras.
func (m *member) dropConn(id uint64) bool {
	if m.conn == id {
		m.conn = 0
		if n := len(m.more); n > 0 {
			m.conn = m.more[n-1]
			m.more = m.more[:n-1]
		}
		if len(m.more) == 0 {
			m.more = nil
		}
		return true
	}
	i := slices.Index(m.more, id)
	if i < 0 {
		return false
	}
	m.more = slices.Delete(m.more, i, i+1)
	if len(m.more) == 0 {
		m.more = nil
	}
	return true
}

func (m *member) appendConns(dst []uint64) []uint64 {
	if m.conn != 0 {
		dst = append(dst, m.conn)
	}
	return append(dst, m.more...)
}

func (m *member) holds(mark int) bool { return slices.Contains(m.marks, mark) }

func (m *member) snapshot() OnlineMember {
	return OnlineMember{UserID: m.userID, JoinTime: m.joinTime, Marks: slices.Clone(m.marks), Stamp: m.seq}
}
