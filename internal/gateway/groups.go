package gateway

import (
	"github.com/chatd/chatd/internal/bus"
)

// Stored groups (Work, Public, Meeting, Community) reach their online
// members through one fan-out per group per node: a connection that
// follows its groups (it synced) is attached to every group its user is a
// member of, and the node subscribes to a group's members subject while it
// holds at least one attached connection. A message to a group is then one
// bus message per node, whatever the group's size, and needs no member
// list at send time. Guarded by Gateway.mu like the rest of the registry.

// groupEntry is a stored group with attached connections on this node.
type groupEntry struct {
	*fanout
	unsub []func()
}

// setGroupsLocked makes c follow exactly the given groups: it attaches c to
// the ones it is not in and detaches it from the ones not listed. It is how
// a sync reconciles a connection with the store's membership, whatever
// attach or detach messages the bus lost.
func (g *Gateway) setGroupsLocked(c *conn, groupIDs []string) {
	if c.detached {
		return
	}
	c.followsGroups = true
	keep := make(map[string]bool, len(groupIDs))
	var online, offline []string // groups the user came online or went offline in, on this node
	for _, id := range groupIDs {
		keep[id] = true
		if g.attachLocked(c, id) {
			online = append(online, id)
		}
	}
	for id := range c.groups {
		if !keep[id] && g.unlinkGroupLocked(c, id) {
			offline = append(offline, id)
		}
	}
	g.groupPresence(c, online, true)
	g.groupPresence(c, offline, false)
}

// groupPresence tells the cluster's presence that c's user came online
// (or went offline) in these stored groups on this node. Called under
// g.mu, so one user's changes never race each other.
func (g *Gateway) groupPresence(c *conn, groupIDs []string, online bool) {
	if len(groupIDs) > 0 && g.deps.GroupPresence != nil {
		g.deps.GroupPresence.GroupMemberOnlineMany(c.app, c.user, groupIDs, online)
	}
}

// attachOneLocked attaches c to one group and tells presence.
func (g *Gateway) attachOneLocked(c *conn, group string) {
	if g.attachLocked(c, group) {
		g.groupPresence(c, []string{group}, true)
	}
}

// unlinkOneLocked detaches c from one group and tells presence.
func (g *Gateway) unlinkOneLocked(c *conn, group string) {
	if g.unlinkGroupLocked(c, group) {
		g.groupPresence(c, []string{group}, false)
	}
}

// attachLocked puts c in a group's fan-out, subscribing the node to the
// group's members subject when c is its first connection here. A
// connection that does not follow its groups yet is left alone: its first
// sync attaches it to all of them. It reports whether c is its user's first
// connection in the group on this node (presence must learn of it).
func (g *Gateway) attachLocked(c *conn, group string) (firstOfUser bool) {
	if c.detached || !c.followsGroups {
		return false
	}
	if _, in := c.groups[group]; in {
		return false
	}
	k := roomKey{c.app, group}
	ge := g.groups[k]
	if ge == nil {
		ge = &groupEntry{fanout: newFanout()}
		unsub, err := g.deps.Bus.Subscribe(bus.MembersSubject(k.app, k.group), func(data []byte) {
			if msg, ok := g.fromOthers(data); ok {
				g.onMembers(k, ge, msg)
			}
		})
		if err != nil {
			// This node still delivers its own pushes to the group; the
			// connection catches up on the rest at its next sync.
			g.log.Error("group: subscribe", "app", k.app, "group", k.group, "err", err)
		} else {
			ge.unsub = []func(){unsub}
		}
		g.groups[k] = ge
	}
	firstOfUser = ge.add(c)
	if c.groups == nil {
		c.groups = make(map[string]struct{})
	}
	c.groups[group] = struct{}{}
	return firstOfUser
}

// unlinkGroupLocked takes c out of a group's fan-out; the node's
// subscription ends with the group's last connection here. It reports
// whether c was its user's last connection in the group on this node.
func (g *Gateway) unlinkGroupLocked(c *conn, group string) (lastOfUser bool) {
	if _, in := c.groups[group]; !in {
		return false
	}
	delete(c.groups, group)
	k := roomKey{c.app, group}
	ge := g.groups[k]
	if ge == nil {
		return false
	}
	empty, lastOfUser := ge.remove(c)
	if empty {
		for _, u := range ge.unsub {
			u()
		}
		delete(g.groups, k)
	}
	return lastOfUser
}
