package gateway

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/chatd/chatd/internal/bus"
	"github.com/chatd/chatd/internal/im"
)

// Delivery. Every push is written into this node's connections first and
// then published once for the other nodes, so this node's clients are
// served whatever the bus does (a NATS outage delays only other nodes'
// clients, and they catch up from the store through the sequence numbers
// every stored push carries). Each bus message a gateway publishes starts
// with its node ID, and a node ignores its own messages when the bus hands
// them back: each connection receives each push once.

// nodeIDLen is the length of the node ID that starts every bus message.
const nodeIDLen = 8

func newNodeID() [nodeIDLen]byte {
	var id [nodeIDLen]byte
	_, _ = rand.Read(id[:])
	return id
}

// envelope prefixes a bus payload with this node's ID.
func (g *Gateway) envelope(parts ...[]byte) []byte {
	n := nodeIDLen
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	out = append(out, g.node[:]...)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// fromOthers strips the node ID from a bus message; ok is false for this
// node's own messages (delivered here already) and malformed ones.
func (g *Gateway) fromOthers(data []byte) (payload []byte, ok bool) {
	if len(data) < nodeIDLen || [nodeIDLen]byte(data[:nodeIDLen]) == g.node {
		return nil, false
	}
	return data[nodeIDLen:], true
}

// DeliverUser pushes p to every connection of the user, on every node.
func (g *Gateway) DeliverUser(ctx context.Context, appID uint64, userID string, p im.Push) error {
	payload, err := encodePush(p)
	if err != nil {
		return err
	}
	g.mu.Lock()
	ue := g.users[userKey{appID, userID}]
	g.mu.Unlock()
	if ue != nil {
		g.deliverUser(ue, payload)
	}
	return g.publish(ctx, bus.UserSubject(appID, userID), g.envelope(payload))
}

// DeliverRoom pushes p to every connection in the live room (AVChatRoom),
// on every node: one bus message whatever the room size.
func (g *Gateway) DeliverRoom(ctx context.Context, appID uint64, groupID string, p im.Push) error {
	p.GroupID = groupID
	payload, err := encodePush(p)
	if err != nil {
		return err
	}
	k := roomKey{appID, groupID}
	g.recordPublished(k, p.MsgSeq, payload)
	g.mu.Lock()
	re := g.rooms[k]
	g.mu.Unlock()
	if re != nil {
		g.deliverRoom(re, p.MsgSeq, payload)
	}
	return g.publish(ctx, bus.GroupSubject(appID, groupID), g.encodeRoomPush(p.MsgSeq, payload))
}

// The kinds of message on a group's members subject.
const (
	membersPush   = 'p' // a push: uvarint length of the JSON "only" list, the list, the payload
	membersDetach = 'x' // users left the group: a JSON array of UserIDs
	membersDrop   = 'd' // the group is gone: every connection leaves it
)

// DeliverGroup pushes p to the connections of the group's online members
// (a stored group: Work, Public, Meeting, Community), on every node: one
// bus message per node that has members online, whatever the group's size.
// only, when not empty, restricts it to those members.
func (g *Gateway) DeliverGroup(ctx context.Context, appID uint64, groupID string, p im.Push, only []string) error {
	p.GroupID = groupID
	payload, err := encodePush(p)
	if err != nil {
		return err
	}
	var onlyJSON []byte
	var onlySet map[string]bool
	if len(only) > 0 {
		onlySet = make(map[string]bool, len(only))
		for _, u := range only {
			onlySet[u] = true
		}
		if onlyJSON, err = json.Marshal(only); err != nil {
			return fmt.Errorf("gateway: encode recipients: %w", err)
		}
	}
	g.mu.Lock()
	ge := g.groups[roomKey{appID, groupID}]
	g.mu.Unlock()
	if ge != nil {
		ge.publish(payload, onlySet)
	}
	head := binary.AppendUvarint([]byte{membersPush}, uint64(len(onlyJSON)))
	return g.publish(ctx, bus.MembersSubject(appID, groupID), g.envelope(head, onlyJSON, payload))
}

// onMembers handles a message on a group's members subject from another
// node.
func (g *Gateway) onMembers(k roomKey, ge *groupEntry, msg []byte) {
	if len(msg) == 0 {
		return
	}
	switch msg[0] {
	case membersPush:
		n, w := binary.Uvarint(msg[1:])
		if w <= 0 || uint64(len(msg)-1-w) < n {
			return
		}
		rest := msg[1+w:]
		var only map[string]bool
		if n > 0 {
			var ids []string
			if json.Unmarshal(rest[:n], &ids) != nil {
				return
			}
			only = make(map[string]bool, len(ids))
			for _, id := range ids {
				only[id] = true
			}
		}
		ge.publish(rest[n:], only)
	case membersDetach:
		var ids []string
		if json.Unmarshal(msg[1:], &ids) == nil {
			g.detachUsers(k, ids)
		}
	case membersDrop:
		g.detachUsers(k, nil)
	}
}

// controlMsg travels on a user's control subject.
type controlMsg struct {
	// Attach names a group the user just joined: their connections that
	// follow their groups start receiving its pushes.
	Attach string `json:"attach,omitempty"`
}

// control is a user's control handler.
func (g *Gateway) control(ue *userEntry, msg []byte) {
	var m controlMsg
	if json.Unmarshal(msg, &m) != nil || m.Attach == "" {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range ue.conns {
		g.attachOneLocked(c, m.Attach)
	}
}

// AttachMembers makes the connections of users who just became members of
// a group receive its pushes, on every node. Only connections that follow
// their groups (they synced) are attached; the others learn of the group at
// their next sync.
func (g *Gateway) AttachMembers(ctx context.Context, appID uint64, groupID string, userIDs []string) error {
	g.mu.Lock()
	for _, u := range userIDs {
		if ue := g.users[userKey{appID, u}]; ue != nil {
			for _, c := range ue.conns {
				g.attachOneLocked(c, groupID)
			}
		}
	}
	g.mu.Unlock()
	msg, err := json.Marshal(controlMsg{Attach: groupID})
	if err != nil {
		return fmt.Errorf("gateway: encode attach: %w", err)
	}
	var firstErr error
	for _, u := range userIDs {
		if err := g.publish(ctx, bus.ControlSubject(appID, u), g.envelope(msg)); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// DetachMembers stops the pushes of a group to users who left it, on every
// node. It travels on the group's own subject, after any push published
// before it, so the users still receive the event that told them.
func (g *Gateway) DetachMembers(ctx context.Context, appID uint64, groupID string, userIDs []string) error {
	ids, err := json.Marshal(userIDs)
	if err != nil {
		return fmt.Errorf("gateway: encode detach: %w", err)
	}
	g.detachUsers(roomKey{appID, groupID}, userIDs)
	return g.publish(ctx, bus.MembersSubject(appID, groupID), g.envelope([]byte{membersDetach}, ids))
}

// DropGroup takes every connection off a group that was dismissed, on
// every node, after the pushes published before it.
func (g *Gateway) DropGroup(ctx context.Context, appID uint64, groupID string) error {
	g.detachUsers(roomKey{appID, groupID}, nil)
	return g.publish(ctx, bus.MembersSubject(appID, groupID), g.envelope([]byte{membersDrop}))
}

// detachUsers takes the users' connections (all, for nil) off a group here.
// The detach is queued behind the group's pending frames, so a push
// published before it still reaches them.
func (g *Gateway) detachUsers(k roomKey, userIDs []string) {
	g.mu.Lock()
	ge := g.groups[k]
	g.mu.Unlock()
	if ge == nil {
		return
	}
	ge.afterPending(func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.groups[k] != ge {
			return
		}
		var victims []*conn
		ge.mu.RLock()
		for c := range ge.conns {
			if userIDs == nil || contains(userIDs, c.user) {
				victims = append(victims, c)
			}
		}
		ge.mu.RUnlock()
		for _, c := range victims {
			g.unlinkOneLocked(c, k.group)
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// reconnected runs when the bus is back after an outage: other nodes'
// pushes may have been lost meanwhile. Live rooms ask the other nodes for
// what they published (replay.go); every connection is asked to sync.
func (g *Gateway) reconnected() {
	g.requestReplay()
	g.resync()
}

// resync asks every logged-in connection here to sync: they fetch what
// they missed from the store (the sequence numbers tell them what that
// is), and their group fan-outs are rebuilt.
func (g *Gateway) resync() {
	frames := frameForAll(mustEncode(struct {
		Op string `json:"op"`
	}{opResync}))
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ue := range g.users {
		for _, c := range ue.conns {
			c.enqueue(frames.forConn(c))
		}
	}
}

// DeliverAllRooms pushes p to every connection in any of the app's live
// rooms, once per connection however many rooms it is in, on every node:
// one bus message whatever the number of rooms (send_broadcast_msg).
func (g *Gateway) DeliverAllRooms(ctx context.Context, appID uint64, p im.Push) error {
	payload, err := encodePush(p)
	if err != nil {
		return err
	}
	g.deliverAllRooms(appID, payload)
	return g.publish(ctx, bus.BroadcastSubject(), g.envelope(binary.AppendUvarint(nil, appID), payload))
}

// onBroadcast is the handler of other nodes' broadcasts.
func (g *Gateway) onBroadcast(data []byte) {
	msg, ok := g.fromOthers(data)
	if !ok {
		return
	}
	appID, n := binary.Uvarint(msg)
	if n <= 0 {
		return
	}
	g.deliverAllRooms(appID, msg[n:])
}

// deliverAllRooms writes payload into each connection here that is in a
// live room of the app, once.
func (g *Gateway) deliverAllRooms(appID uint64, payload []byte) {
	frames := frameForAll(payload)
	// The connections are gathered under the registry's lock and written
	// to after it: with every live room of an app on this node, writing
	// under it would hold up logins and joins for the whole fan-out.
	seen := map[*conn]bool{}
	g.mu.Lock()
	for k, re := range g.rooms {
		if k.app != appID {
			continue
		}
		re.mu.RLock()
		for c := range re.conns {
			seen[c] = true
		}
		re.mu.RUnlock()
	}
	g.mu.Unlock()
	for c := range seen {
		c.enqueue(frames.forConn(c))
	}
}

// LocalUsers lists the users of the app with a connection on this node.
func (g *Gateway) LocalUsers(appID uint64) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for k := range g.users {
		if k.app == appID {
			out = append(out, k.user)
		}
	}
	return out
}

// DeliverLocal writes p to this node's connections of the users, and
// publishes nothing: for a service that runs on every node and reaches
// each node's own connections (push to all users).
func (g *Gateway) DeliverLocal(appID uint64, userIDs []string, p im.Push) {
	payload, err := encodePush(p)
	if err != nil {
		g.log.Error("deliver local: encode push", "err", err)
		return
	}
	frames := frameForAll(payload)
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, u := range userIDs {
		if ue := g.users[userKey{appID, u}]; ue != nil {
			for _, c := range ue.conns {
				c.enqueue(frames.forConn(c))
			}
		}
	}
}
