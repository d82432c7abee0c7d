package group

import (
	"context"
	"log/slog"

	"github.com/chatd/chatd/internal/im"
)

// Notifier carries committed group changes to members' clients. The
// message stream implements it; a nil Notifier delivers nothing (tests of
// the REST side need none). Calls happen after the change is committed;
// an error is logged by the caller, never returned to the REST client:
// the change is durable by then, and clients catch up from the store.
type Notifier interface {
	// GroupEvent appends ev to the group's event stream and pushes it to
	// the group's online members (for an AVChatRoom: to the room, unstored).
	// ev is a JSON-encodable struct whose first field is `Type string`
	// (e.g. "GroupInfoChanged", "MemberInfoChanged", "MembersMuted",
	// "OwnerChanged", "AttrChanged", "CounterChanged", "TopicCreated", ...).
	GroupEvent(ctx context.Context, appID uint64, groupID string, ev any) error
	// MembersJoined: users became stored members. Their connections start
	// receiving the group's pushes; the group gets ev as a group event
	// (e.g. Type "MemberJoined", with the IDs and the operator), which the
	// new members receive too. ev is nil when the change is silent
	// (add_group_member with Silence, imports, a Work group not yet
	// active): only the subscriptions change.
	MembersJoined(ctx context.Context, appID uint64, groupID string, userIDs []string, ev any) error
	// MembersLeft: users stopped being members (quit, kicked). The group
	// gets ev as a group event, the users receive it too, then their
	// connections stop receiving the group's pushes. ev is nil when the
	// change is silent for the group: only the subscriptions change.
	MembersLeft(ctx context.Context, appID uint64, groupID string, userIDs []string, ev any) error
	// GroupDismissed: the group (of the given type) is gone; every member's
	// connections get ev and stop receiving the group's pushes (live rooms
	// are dropped).
	GroupDismissed(ctx context.Context, appID uint64, groupID string, groupType im.GroupType, ev any) error
	// UsersEvent delivers ev to each listed user's own event stream, not
	// the group's: the notice removed users get when delete_group_member
	// runs with Silence 1, which tells nobody else.
	UsersEvent(ctx context.Context, appID uint64, userIDs []string, ev any) error
}

// OnlineCounter counts a group's members who are online now (at least one
// gateway connection), cluster-wide. The gateway implements it; used by
// million_group_open_http_svc/get_online_member_num.
type OnlineCounter interface {
	GroupOnlineCount(appID uint64, groupID string) int
}

// Delivery is how the group service reaches clients.
type Delivery struct {
	// Notifier carries group events; nil delivers nothing.
	Notifier Notifier
	// Online counts online members of stored-member groups; nil counts 0.
	Online OnlineCounter
	// Logger receives failed deliveries; nil discards them.
	Logger *slog.Logger
}

// SetDelivery wires the message stream and the gateway in. They are built
// after the group service (they need it themselves), so this is called
// once they exist, before anything is served.
func (s *Service) SetDelivery(d Delivery) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s.delivery = d
}

// notify runs one delivery of a committed change. Its failure is logged,
// not returned: the change is durable, and clients catch up from the store.
func (s *Service) notify(what, groupID string, deliver func(n Notifier) error) {
	if s.delivery.Notifier == nil {
		return
	}
	if err := deliver(s.delivery.Notifier); err != nil {
		s.delivery.Logger.Warn("group event not delivered", "event", what, "group", groupID, "err", err)
	}
}
