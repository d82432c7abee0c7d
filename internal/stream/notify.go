package stream

import (
	"context"
	"fmt"

	"github.com/chatd/chatd/internal/im"
)

// Group changes reach members through the streams: group.Notifier is
// implemented here. Every method is called after the change is committed.

// Personal notices in a user's stream about their memberships.
const (
	TypeJoinedGroup = "JoinedGroup"
	TypeLeftGroup   = "LeftGroup"
)

// membership is a personal notice: the user joined or left a group. A
// client that joined follows the group from MsgSeq and EventSeq, the
// group's heads when the user joined (older history is the client's to
// page through if it wants it); a client that left stops following it.
type membership struct {
	Type     string `json:"Type"`
	GroupID  string `json:"GroupId"`
	MsgSeq   int64  `json:"MsgSeq,omitempty"`
	EventSeq int64  `json:"EventSeq,omitempty"`
}

// GroupEvent appends ev to the group's event stream and pushes it to the
// online members; a live room's events are pushed to the room unstored.
func (s *Service) GroupEvent(ctx context.Context, appID uint64, groupID string, ev any) error {
	g, err := s.storedGroup(ctx, appID, groupID, ev)
	if g == nil {
		return err
	}
	return s.commitGroup(ctx, im.StreamWrite{AppID: appID, Time: s.now().Unix(),
		GroupEvents: []im.GroupEventAppend{{GroupID: groupID, Payload: Encode(ev)}}})
}

// MembersJoined attaches the new members' connections to the group, then
// records ev in the group's stream (so they receive it too) and a personal
// notice in each new member's stream.
func (s *Service) MembersJoined(ctx context.Context, appID uint64, groupID string, userIDs []string, ev any) error {
	g, err := s.storedGroup(ctx, appID, groupID, ev)
	if g == nil {
		return err
	}
	if s.deliver != nil {
		s.logPush(s.deliver.AttachMembers(ctx, appID, groupID, userIDs), "attach", groupID)
	}
	// The heads are read after the membership was committed: a message
	// committed between the two is in the history but before the position
	// the new members' clients start from.
	joined := membership{Type: TypeJoinedGroup, GroupID: groupID, MsgSeq: max(g.NextMsgSeq-1, 0), EventSeq: g.EventSeq}
	return s.commitGroup(ctx, s.membershipWrite(appID, groupID, userIDs, ev, joined))
}

// UsersEvent puts ev in each listed user's own stream: a notice for them
// alone (members removed silently).
func (s *Service) UsersEvent(ctx context.Context, appID uint64, userIDs []string, ev any) error {
	now := s.now()
	w := im.StreamWrite{AppID: appID, Time: now.Unix()}
	payload := Encode(ev)
	for _, u := range userIDs {
		w.UserEvents = append(w.UserEvents, im.UserEventAppend{UserID: u, Payload: payload, ExpireAt: Expiry(now, DefaultLifetime)})
	}
	_, err := s.Commit(ctx, w)
	return err
}

// MembersLeft records ev in the group's stream and a personal notice for
// each user who left, pushes them, and only then detaches the users'
// connections from the group, so they receive the event that tells them.
func (s *Service) MembersLeft(ctx context.Context, appID uint64, groupID string, userIDs []string, ev any) error {
	g, err := s.storedGroup(ctx, appID, groupID, ev)
	if g == nil {
		return err
	}
	err = s.commitGroup(ctx, s.membershipWrite(appID, groupID, userIDs, ev, membership{Type: TypeLeftGroup, GroupID: groupID}))
	if s.deliver != nil {
		s.logPush(s.deliver.DetachMembers(ctx, appID, groupID, userIDs), "detach", groupID)
	}
	return err
}

// storedGroup reads the group an event is about. A live room keeps no
// streams: its event is pushed to the room unstored (nothing for a silent
// change), and storedGroup returns no group.
func (s *Service) storedGroup(ctx context.Context, appID uint64, groupID string, ev any) (*im.Group, error) {
	g, err := s.groups(ctx, appID, groupID)
	if err != nil {
		return nil, err
	}
	if g.Type == im.GroupAVChatRoom {
		if ev != nil {
			s.PushGroup(ctx, appID, im.GroupAVChatRoom, groupID, im.Push{Event: Encode(ev)}, nil)
		}
		return nil, nil
	}
	return g, nil
}

// GroupDismissed pushes ev to the group's online members and takes every
// connection off it. The group's streams went with it; members that were
// offline find it gone from their group heads at their next sync.
func (s *Service) GroupDismissed(ctx context.Context, appID uint64, groupID string, groupType im.GroupType, ev any) error {
	if s.deliver == nil {
		return nil
	}
	s.PushGroup(ctx, appID, groupType, groupID, im.Push{Event: Encode(ev)}, nil)
	if groupType == im.GroupAVChatRoom {
		return s.deliver.DropRoom(ctx, appID, groupID)
	}
	return s.deliver.DropGroup(ctx, appID, groupID)
}

// membershipWrite records ev in the group's stream (unless the change is
// silent: ev is nil) and the notice in each user's.
func (s *Service) membershipWrite(appID uint64, groupID string, userIDs []string, ev any, notice membership) im.StreamWrite {
	now := s.now()
	w := im.StreamWrite{AppID: appID, Time: now.Unix()}
	if ev != nil {
		w.GroupEvents = []im.GroupEventAppend{{GroupID: groupID, Payload: Encode(ev)}}
	}
	personal := Encode(notice)
	for _, u := range userIDs {
		w.UserEvents = append(w.UserEvents, im.UserEventAppend{UserID: u, Payload: personal, ExpireAt: Expiry(now, DefaultLifetime)})
	}
	return w
}

// commitGroup commits a write about one group; the group being gone by now
// is reported as the group API's 10010.
func (s *Service) commitGroup(ctx context.Context, w im.StreamWrite) error {
	r, err := s.Commit(ctx, w)
	if err != nil {
		return err
	}
	if r.Err != nil {
		return fmt.Errorf("stream: group event: %w", r.Err)
	}
	return nil
}
