// Package bus is the seam every event that must reach client connections
// travels through: pushes to a user or a live room, kicks, and bans. The
// gateway publishes here instead of touching connections directly, so that
// when chatd runs on several nodes a NATS implementation can replace the
// in-process one and an event reaches the node that holds the connection.
//
// Subjects are exact strings built by the helpers below; there are no
// wildcards, so the in-process bus and NATS route identically.
package bus

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
)

// ErrClosed is returned by Publish and Subscribe after Close.
var ErrClosed = errors.New("bus: closed")

// Bus delivers messages published on a subject to every current subscriber
// of that subject, on any node.
//
// Contract (checked by bustest.Run for every implementation):
//   - Messages from one publisher on one subject arrive in publish order.
//   - Every subscriber of a subject receives each message once while the
//     bus is connected. Across nodes delivery is at most once: messages
//     published while a node is cut off from the broker do not reach it.
//     That suits what travels here (pushes to live connections, kicks,
//     presence snapshots that are re-sent every interval); durable state
//     lives in the store.
//   - A message must fit the broker's payload limit (1 MiB on a default
//     NATS server); the in-process bus has none.
//   - data is shared, not copied: the publisher must not modify it after
//     Publish, and handlers must treat it as read-only. They may retain it.
//     This is what lets one encoded frame reach 50,000 sockets without a
//     copy per socket.
//   - Handlers may run on the publisher's goroutine (Local) or on a
//     dedicated one (NATS). Either way a handler must not block: it should
//     hand the data off (the gateway enqueues it on connection queues) and
//     return. Handlers may call Publish, Subscribe and unsubscribe.
//   - After unsubscribe returns, Publish calls that start later never reach
//     the handler; a delivery already in flight may still complete.
//   - Subscribe must not block on the network (NATS buffers the SUB line),
//     because the gateway subscribes while registering a connection.
type Bus interface {
	// Publish sends data to the subscribers of subject. Having none is not
	// an error. It fails with ctx's error when ctx is already done, and with
	// ErrClosed after Close.
	Publish(ctx context.Context, subject string, data []byte) error
	// Subscribe registers handler for subject. The returned unsubscribe is
	// idempotent.
	Subscribe(subject string, handler func(data []byte)) (unsubscribe func(), err error)
	// Close drops every subscription and makes later Publish and Subscribe
	// calls fail with ErrClosed. It is idempotent.
	Close() error
}

// Health is implemented by a Bus whose connection to the other nodes can
// be lost and regained (NATS). The gateway and the readiness check use it
// through this interface, so they need not know which bus they run on.
type Health interface {
	// Connected reports whether the bus reaches the other nodes now. While
	// it does not, publishes reach this node's subscribers at best, and
	// nothing from other nodes arrives.
	Connected() bool
	// OnReconnect registers fn to run each time the bus becomes connected
	// after a time without a connection (a reconnect, or a first connection
	// made after start-up), once this node's subscriptions are in place
	// again: what other nodes publish from then on arrives. What they
	// published while the bus was down did not, so fn is where a node
	// catches up (resends its presence snapshot, has clients fetch from the
	// store). Registrations made while connected fire only at the next
	// reconnect. fn runs on a goroutine of the bus, one call at a time, and
	// should return quickly.
	OnReconnect(fn func())
}

// The subject families. The ID in a subject is base64url-encoded because
// user and group IDs may contain '.', '*', '>' and spaces, which NATS
// reserves; base64url uses none of them and keeps subjects injective.
const (
	kindUser  = "user"
	kindGroup = "group"
	kindKick  = "kick"
	// kindMembers and kindControl serve stored groups (see MembersSubject).
	kindMembers = "members"
	kindControl = "ctl"
)

// UserSubject carries an encoded frame to every connection of one user.
func UserSubject(appID uint64, userID string) string { return subject(kindUser, appID, userID) }

// GroupSubject carries an encoded frame to every connection in one live
// room: one bus message per group message, whatever the room size.
func GroupSubject(appID uint64, groupID string) string { return subject(kindGroup, appID, groupID) }

// KickSubject asks every node to close all connections of one user. The
// payload is the kick reason as the client will see it.
func KickSubject(appID uint64, userID string) string { return subject(kindKick, appID, userID) }

// MembersSubject carries a stored group's pushes to the nodes holding
// connections of its online members (and the group's membership changes
// those nodes must apply): one bus message per node whatever the group's
// size.
func MembersSubject(appID uint64, groupID string) string { return subject(kindMembers, appID, groupID) }

// ControlSubject carries instructions about one user's connections to the
// nodes that hold them, such as following a group the user just joined.
func ControlSubject(appID uint64, userID string) string { return subject(kindControl, appID, userID) }

// ReplaySubject carries every node's requests for the live-room messages
// other nodes published while it was cut off.
func ReplaySubject() string { return "chatd.replay" }

// BroadcastSubject carries pushes to every live room of an app, which every
// node receives.
func BroadcastSubject() string { return "chatd.broadcast" }

// NodeSubject carries answers to one node (by its ID, any bytes).
func NodeSubject(node string) string { return subject("node", 0, node) }

// PresenceSubject carries every node's periodic snapshot of its live rooms,
// from which each node builds the cluster-wide counts and member lists.
func PresenceSubject() string { return "chatd.presence" }

// MarksSubject carries live-room mark changes to the node that holds the
// member's connections.
func MarksSubject() string { return "chatd.marks" }

// AccountsSubject carries, to every node, the account changes that make
// what a node remembers of an account wrong: kicks (a new revocation time)
// and deletions.
func AccountsSubject() string { return "chatd.accounts" }

// PresenceSyncSubject carries a node's request for every other node's
// presence snapshot, sent when it starts and when its bus reconnects, so
// it need not wait a whole interval to count other nodes' users.
func PresenceSyncSubject() string { return "chatd.presence_sync" }

func subject(kind string, appID uint64, id string) string {
	tok := "_" // base64 never yields one character, so this cannot collide
	if id != "" {
		tok = base64.RawURLEncoding.EncodeToString([]byte(id))
	}
	return "chatd." + kind + "." + strconv.FormatUint(appID, 10) + "." + tok
}
