package conversation

import (
	"context"
	"errors"

	"github.com/chatd/chatd/internal/im"
)

// TypeConversationChanged is the event a user's devices get in the user's
// stream when the user's conversations change other than by a message
// (docs/client-protocol.md): a pin, a read, a deletion, conversation group
// or mark data.
const TypeConversationChanged = "ConversationChanged"

// Actions of ConversationChanged.
const (
	ActionPin          = "pin"
	ActionUnpin        = "unpin"
	ActionRead         = "read"
	ActionDelete       = "delete"
	ActionContactGroup = "contact_group"
	ActionMark         = "mark"
)

// Changed is the ConversationChanged event.
type Changed struct {
	Type   string
	Action string
	// Conversations are the conversations concerned (none for a read of
	// every conversation, or a group rename or deletion).
	Conversations []Item `json:",omitempty"`
	// All is 1 when every conversation was read.
	All int `json:",omitempty"`
	// GroupName and ContactGroupId name the conversation group of a
	// contact_group change (not GroupId, which names a group in every
	// event); NewGroupName is set when it was renamed, Deleted when it was
	// deleted.
	GroupName      string `json:",omitempty"`
	ContactGroupId int64  `json:",omitempty"`
	NewGroupName   string `json:",omitempty"`
	Deleted        int    `json:",omitempty"`
}

// Item is a conversation as events and client responses show it.
type Item struct {
	Type       int
	To_Account string `json:",omitempty"`
	GroupId    string `json:",omitempty"`
}

// Key is the conversation a request names: by Type, the peer UserID or
// the group ID.
func Key(typ int, userID, groupID string) im.ConvKey {
	if typ == im.ConvGroup {
		return im.ConvKey{Type: typ, Peer: groupID}
	}
	return im.ConvKey{Type: typ, Peer: userID}
}

// Key is the conversation i names.
func (i Item) Key() im.ConvKey { return Key(i.Type, i.To_Account, i.GroupId) }

// ItemOf shows a key.
func ItemOf(k im.ConvKey) Item {
	if k.Type == im.ConvGroup {
		return Item{Type: k.Type, GroupId: k.Peer}
	}
	return Item{Type: k.Type, To_Account: k.Peer}
}

func items(keys []im.ConvKey) []Item {
	out := make([]Item, len(keys))
	for i, k := range keys {
		out[i] = ItemOf(k)
	}
	return out
}

// notify puts ev in the owner's stream.
func (s *Service) notify(ctx context.Context, appID uint64, owner string, ev Changed) error {
	ev.Type = TypeConversationChanged
	if err := s.d.Events.UsersEvent(ctx, appID, []string{owner}, ev); err != nil {
		return fail("notify", err)
	}
	return nil
}

// Pin pins or unpins one of the owner's conversations.
func (s *Service) Pin(ctx context.Context, appID uint64, owner string, key im.ConvKey, pinned bool) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := s.d.Store.PinConversation(ctx, appID, owner, key, pinned, MaxPinned); err != nil {
		return fail("pin", err)
	}
	action := ActionPin
	if !pinned {
		action = ActionUnpin
	}
	return s.notify(ctx, appID, owner, Changed{Action: action, Conversations: []Item{ItemOf(key)}})
}

// Read marks one conversation read: a one-to-one one as
// admin_set_msg_read does (with its read receipt), a group one by moving
// the member's read position to the group's last message.
func (s *Service) Read(ctx context.Context, appID uint64, owner string, key im.ConvKey) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := s.read(ctx, appID, owner, key); err != nil {
		return err
	}
	return s.notify(ctx, appID, owner, Changed{Action: ActionRead, Conversations: []Item{ItemOf(key)}})
}

func (s *Service) read(ctx context.Context, appID uint64, owner string, key im.ConvKey) error {
	if key.Type == im.ConvC2C {
		_, err := s.d.Messages.MarkC2CRead(ctx, appID, owner, key.Peer, nil, s.d.Now())
		return err
	}
	err := s.d.Store.SetGroupUnread(ctx, appID, key.Peer, owner, 0)
	if errors.Is(err, im.ErrNotFound) {
		return im.Errorf(im.CodeConvGroupGone, "%s is not a member of group %s", owner, key.Peer)
	}
	if err != nil {
		return fail("read", err)
	}
	return nil
}

// ReadAll marks every conversation of the owner with unread messages
// read: the one-to-one ones with unread counts, and every group.
func (s *Service) ReadAll(ctx context.Context, appID uint64, owner string) error {
	peers, err := s.d.Store.ListC2CUnread(ctx, appID, owner)
	if err != nil {
		return fail("read all", err)
	}
	for p := range peers {
		if _, err := s.d.Messages.MarkC2CRead(ctx, appID, owner, p, nil, s.d.Now()); err != nil {
			return err
		}
	}
	for cursor := (im.ConvCursor{}); ; {
		page, err := s.d.Store.ListConversations(ctx, im.ConvListQuery{AppID: appID, Owner: owner, After: cursor,
			Limit: cursor.Index + PageSize, WithPinned: true}, im.ConvGroup)
		if err != nil {
			return fail("read all", err)
		}
		page = page[min(len(page), cursor.Index):]
		for _, c := range page {
			if c.Unread > 0 {
				if err := s.read(ctx, appID, owner, c.ConvKey); err != nil {
					return err
				}
			}
		}
		if len(page) < PageSize {
			break
		}
		cursor = advance(cursor, page)
	}
	return s.notify(ctx, appID, owner, Changed{Action: ActionRead, All: 1})
}

// Delete removes a conversation from the owner's list (recentcontact/
// delete); clearHistory also removes the owner's copy of a one-to-one
// history.
func (s *Service) Delete(ctx context.Context, appID uint64, owner string, key im.ConvKey, clearHistory bool) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := s.d.Store.DeleteConversation(ctx, appID, owner, key, clearHistory); err != nil {
		return fail("delete", err)
	}
	return s.notify(ctx, appID, owner, Changed{Action: ActionDelete, Conversations: []Item{ItemOf(key)}})
}

// Get returns one conversation; ErrNotFound-style 51007 for a group the
// owner is not in is left to the caller: a missing one is nil.
func (s *Service) Get(ctx context.Context, appID uint64, owner string, key im.ConvKey) (*im.Conversation, error) {
	c, err := s.d.Store.GetConversation(ctx, appID, owner, key)
	if errors.Is(err, im.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fail("get", err)
	}
	return &c, nil
}

// SetGroupUnread sets a member's unread count of a group
// (set_unread_msg_num). Meeting and live groups keep no unread counts: the
// call changes nothing there. Group API codes: 10010 for a missing group,
// 10007 for a user who is not a member.
func (s *Service) SetGroupUnread(ctx context.Context, appID uint64, groupID, userID string, unread int64) error {
	g, err := s.d.Groups(ctx, appID, groupID)
	if err != nil {
		return err
	}
	if g.Type == im.GroupChatRoom || g.Type == im.GroupAVChatRoom {
		return nil
	}
	err = s.d.Store.SetGroupUnread(ctx, appID, groupID, userID, unread)
	if errors.Is(err, im.ErrNotFound) {
		return im.Errorf(im.CodeGroupNotAllowed, "%s is not a member of group %s", userID, groupID)
	}
	if err != nil {
		return &im.Error{Code: im.CodeGroupInternal, Info: "set unread: " + err.Error()}
	}
	return nil
}
