package gateway

import (
	"context"
	"fmt"

	"github.com/chatd/chatd/internal/bus"
)

// The operations the REST layer drives. Each one is applied to this node
// at once and then published for the other nodes: presence counts on this
// node are exact when the call returns, whatever the bus's delivery
// latency, and a node ignores its own messages when the bus hands them
// back (deliver.go).

// KickUser closes every connection of the user, on every node, after a
// kicked push with reason "admin".
func (g *Gateway) KickUser(ctx context.Context, appID uint64, userID string) error {
	g.mu.Lock()
	var victims []*conn
	if ue := g.users[userKey{appID, userID}]; ue != nil {
		victims = append(victims, ue.conns...)
		for _, c := range victims {
			c.ended = StateKicked
			g.detachLocked(c)
		}
	}
	g.mu.Unlock()
	closeKickedConns(victims, ReasonAdmin)
	return g.publish(ctx, bus.KickSubject(appID, userID), g.envelope([]byte(ReasonAdmin)))
}

// DropFromRoom removes the user from the live room on every node (a ban):
// their connections get a group_dropped push with reason "banned" and stay
// open. The caller records the ban first so the user cannot re-enter.
func (g *Gateway) DropFromRoom(ctx context.Context, appID uint64, groupID, userID string) error {
	if userID == "" {
		return fmt.Errorf("gateway: drop from room: empty user ID")
	}
	g.dropUserLocal(roomKey{appID, groupID}, userID)
	return g.publish(ctx, bus.GroupSubject(appID, groupID), g.envelope([]byte{roomDropUser}, []byte(userID)))
}

// DropRoom empties the live room on every node because the group was
// destroyed; every connection in it gets a group_dropped push with reason
// "destroyed".
func (g *Gateway) DropRoom(ctx context.Context, appID uint64, groupID string) error {
	g.dropRoomLocal(roomKey{appID, groupID})
	return g.publish(ctx, bus.GroupSubject(appID, groupID), g.envelope([]byte{roomDrop}))
}

func (g *Gateway) publish(ctx context.Context, subject string, data []byte) error {
	if err := g.deps.Bus.Publish(ctx, subject, data); err != nil {
		return fmt.Errorf("gateway: publish %s: %w", subject, err)
	}
	return nil
}
