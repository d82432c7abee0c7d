package gateway

import (
	"cmp"
	"slices"

	"github.com/chatd/chatd/internal/bus"
)

// The registry maps users and rooms to this node's connections, and holds
// the bus subscriptions that exist exactly while a user or room has a
// connection here. All of it is guarded by Gateway.mu.

type userKey struct {
	app  uint64
	user string
}

type roomKey struct {
	app   uint64
	group string
}

// userEntry is a user logged in on this node.
type userEntry struct {
	conns []*conn // login order, oldest first (evicted first)
	unsub []func()
}

// roomEntry is a live room with connections on this node, and the bus
// subscriptions it holds while it has some.
type roomEntry struct {
	*fanout
	unsub []func()
	// delivered notes the MsgSeqs of the replay window delivered here.
	delivered replayRing
}

func newRoomEntry() *roomEntry { return &roomEntry{fanout: newFanout()} }

// register records a new socket; it refuses when the gateway is shutting
// down.
func (g *Gateway) register(c *conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shutdown {
		return false
	}
	g.conns[c.id] = c
	g.wg.Add(1) // under mu, so Shutdown's Wait cannot miss it
	return true
}

// unregister forgets a socket that ended.
func (g *Gateway) unregister(c *conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.detachLocked(c)
	if _, ok := g.conns[c.id]; ok {
		delete(g.conns, c.id)
		g.wg.Done()
		if c.loggedIn.Load() && !c.evicted {
			g.deps.Hooks.StateChanged(c.stateEvent(cmp.Or(c.ended, StateClosed)))
		}
	}
}

// loginLocked attaches c to its user, subscribing the user's subjects when
// this is the user's first connection here. It returns the connections
// evicted to respect MaxConnsPerUser; the caller closes them.
func (g *Gateway) loginLocked(c *conn, app uint64, user string) ([]*conn, error) {
	k := userKey{app, user}
	ue := g.users[k]
	if ue == nil {
		ue = &userEntry{}
		push, err := g.deps.Bus.Subscribe(bus.UserSubject(app, user), func(data []byte) {
			if payload, ok := g.fromOthers(data); ok {
				g.deliverUser(ue, payload)
			}
		})
		if err != nil {
			return nil, err
		}
		kick, err := g.deps.Bus.Subscribe(bus.KickSubject(app, user), func(data []byte) {
			if reason, ok := g.fromOthers(data); ok {
				g.kickEntry(ue, string(reason))
			}
		})
		if err != nil {
			push()
			return nil, err
		}
		ctl, err := g.deps.Bus.Subscribe(bus.ControlSubject(app, user), func(data []byte) {
			if msg, ok := g.fromOthers(data); ok {
				g.control(ue, msg)
			}
		})
		if err != nil {
			push()
			kick()
			return nil, err
		}
		ue.unsub = []func(){push, kick, ctl}
		g.users[k] = ue
	}
	c.app, c.user = app, user
	ue.conns = append(ue.conns, c)
	var evicted []*conn
	for len(ue.conns) > g.cfg.MaxConnsPerUser {
		old := ue.conns[0]
		old.evicted = true
		g.detachLocked(old)
		evicted = append(evicted, old)
	}
	return evicted, nil
}

// detachLocked takes c out of every room and off its user, so nothing more
// is delivered to it. The socket itself is closed by the caller.
func (g *Gateway) detachLocked(c *conn) {
	if c.detached {
		return
	}
	c.detached = true
	for group := range c.rooms {
		g.leaveRoomLocked(c, group, false)
	}
	var offline []string
	for group := range c.groups {
		if g.unlinkGroupLocked(c, group) {
			offline = append(offline, group)
		}
	}
	g.groupPresence(c, offline, false)
	if c.user == "" {
		return // never logged in
	}
	k := userKey{c.app, c.user}
	ue := g.users[k]
	if ue == nil {
		return
	}
	ue.conns = slices.DeleteFunc(ue.conns, func(x *conn) bool { return x == c })
	if len(ue.conns) == 0 {
		for _, u := range ue.unsub {
			u()
		}
		delete(g.users, k)
	}
}

// joinLocked puts c in the live room, subscribing the room's subjects when
// c is the room's first connection on this node.
func (g *Gateway) joinLocked(c *conn, group string) error {
	k := roomKey{c.app, group}
	re := g.rooms[k]
	if re == nil {
		re = newRoomEntry()
		unsub, err := g.deps.Bus.Subscribe(bus.GroupSubject(k.app, k.group), func(data []byte) {
			if msg, ok := g.fromOthers(data); ok {
				g.onRoom(k, re, msg)
			}
		})
		if err != nil {
			return err
		}
		re.unsub = []func(){unsub}
		g.rooms[k] = re
	}
	re.add(c)
	if c.rooms == nil {
		c.rooms = make(map[string]struct{})
	}
	c.rooms[group] = struct{}{}
	if g.deps.Presence.Enter(c.app, group, c.user, c.id) {
		g.deps.Hooks.RoomChanged(c.roomEvent(group, true, false))
	}
	return nil
}

// leaveRoomLocked takes c out of a room it is in, presence included; quit
// says the user asked to leave (rather than their connection ending).
func (g *Gateway) leaveRoomLocked(c *conn, group string, quit bool) {
	g.unlinkRoomLocked(c, group)
	if g.deps.Presence.Leave(c.app, group, c.user, c.id) {
		g.deps.Hooks.RoomChanged(c.roomEvent(group, false, quit))
	}
}

// unlinkRoomLocked removes c from the room's local fan-out set only; used
// directly when presence already dropped the user (ban, destroy). The
// room's subscriptions end with its last local connection.
func (g *Gateway) unlinkRoomLocked(c *conn, group string) {
	delete(c.rooms, group)
	k := roomKey{c.app, group}
	re := g.rooms[k]
	if re == nil {
		return
	}
	if empty, _ := re.remove(c); empty {
		for _, u := range re.unsub {
			u()
		}
		delete(g.rooms, k)
	}
}

// deliverUser is a user's push handler. It captures its entry rather than
// looking the user up, so a delivery racing a re-login (new entry, new
// subscription) cannot reach the new connections twice.
func (g *Gateway) deliverUser(ue *userEntry, payload []byte) {
	frames := framePush(payload)
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range ue.conns {
		c.enqueue(frames.forConn(c))
	}
}

// kickEntry is a user's kick handler: every connection of the user on this
// node gets a kicked push and is closed.
func (g *Gateway) kickEntry(ue *userEntry, reason string) {
	g.mu.Lock()
	victims := slices.Clone(ue.conns)
	for _, c := range victims {
		if reason == ReasonMaxConnections {
			c.evicted = true
		} else {
			c.ended = StateKicked
		}
		g.detachLocked(c)
	}
	g.mu.Unlock()
	closeKickedConns(victims, reason)
}

func closeKickedConns(victims []*conn, reason string) {
	if len(victims) == 0 {
		return
	}
	frame := mustEncode(kickedPush{Op: opKicked, Reason: reason})
	for _, c := range victims {
		c.closeWith(closeKicked, "kicked: "+reason, frame)
	}
}

// dropUserLocal takes a banned user out of the room on this node: out of
// its count at once, and off its fan-out (with a group_dropped push) after
// the frames queued before the ban. The connections stay open.
func (g *Gateway) dropUserLocal(k roomKey, user string) {
	g.mu.Lock()
	g.drops++
	ids := g.deps.Presence.Remove(k.app, k.group, user)
	re := g.rooms[k]
	g.mu.Unlock()
	g.unlinkAfterPending(k, re, ids, ReasonBanned)
}

// dropRoomLocal forgets a destroyed room on this node: its count at once,
// its connections (each told by a group_dropped push) after the frames
// queued before, the last of which is the dismissal event.
func (g *Gateway) dropRoomLocal(k roomKey) {
	g.mu.Lock()
	ids := g.deps.Presence.DropRoom(k.app, k.group)
	re := g.rooms[k]
	g.mu.Unlock()
	g.unlinkAfterPending(k, re, ids, ReasonDestroyed)
}

// unlinkAfterPending takes the connections off the room's fan-out once the
// frames queued before are out, and tells them why.
func (g *Gateway) unlinkAfterPending(k roomKey, re *roomEntry, ids []uint64, reason string) {
	if re == nil || len(ids) == 0 {
		return
	}
	re.afterPending(func() {
		g.mu.Lock()
		hit := g.unlinkConnsLocked(k, ids)
		g.mu.Unlock()
		notifyDropped(hit, k.group, reason)
	})
}

func (g *Gateway) unlinkConnsLocked(k roomKey, ids []uint64) []*conn {
	hit := make([]*conn, 0, len(ids))
	for _, id := range ids {
		if c := g.conns[id]; c != nil {
			g.unlinkRoomLocked(c, k.group)
			hit = append(hit, c)
		}
	}
	return hit
}

func notifyDropped(conns []*conn, group, reason string) {
	if len(conns) == 0 {
		return
	}
	frames := frameForAll(mustEncode(droppedPush{Op: opGroupDropped, GroupID: group, Reason: reason}))
	for _, c := range conns {
		c.enqueue(frames.forConn(c))
	}
}
