package message

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/stream"
)

// MaxNotifyMembers caps ToMembers_Account of a system notification.
const MaxNotifyMembers = 500

// NotifyInput is send_group_system_notification.
type NotifyInput struct {
	GroupID string
	TopicID string
	// To lists the members to notify; empty notifies every member.
	To      []string
	Content string
}

// Notify sends a system notification: to every member, a
// GroupSystemNotification event in the group's event stream (one entry
// whatever the group's size; a live group's is pushed to its room,
// unstored); to listed members, an entry in each one's own stream (users
// who are not members are skipped). Codes: 10004 no Content, Content over
// 12 KB or more than MaxNotifyMembers; 10007 listed members in a live
// group; the group's.
func (s *Service) Notify(ctx context.Context, appID uint64, in NotifyInput) error {
	switch {
	case in.Content == "":
		return &im.Error{Code: im.CodeGroupBadParam, Info: "Content is required"}
	case len(in.Content) > MaxContentBytes:
		return im.Errorf(im.CodeGroupBadParam, "Content is over %d bytes", MaxContentBytes)
	case len(in.To) > MaxNotifyMembers:
		return im.Errorf(im.CodeGroupBadParam, "ToMembers_Account lists %d accounts, at most %d", len(in.To), MaxNotifyMembers)
	}
	g, err := s.groups.Get(ctx, appID, in.GroupID)
	if err != nil {
		return err
	}
	if g.Type == im.GroupAVChatRoom && len(in.To) > 0 {
		return im.Errorf(im.CodeGroupNotAllowed, "a notification to a live group goes to all its members: ToMembers_Account is not allowed")
	}
	if _, err := s.topicStream(ctx, g, in.TopicID); err != nil {
		return err
	}
	ev := groupSystemNotification{Type: TypeGroupSystemNotification, GroupID: g.ID, TopicID: in.TopicID, Content: in.Content}
	if len(in.To) == 0 {
		err := s.streams.GroupEvent(ctx, appID, g.ID, ev)
		if errors.Is(err, im.ErrNotFound) {
			return im.Errorf(im.CodeGroupNotFound, "group %s does not exist", g.ID)
		}
		return err
	}
	members, err := s.store.GetMembers(ctx, appID, g.ID, in.To)
	if err != nil {
		return fmt.Errorf("message: notify in %s: %w", g.ID, err)
	}
	var to []string
	for _, u := range in.To {
		if _, ok := members[u]; ok && !slices.Contains(to, u) {
			to = append(to, u)
		}
	}
	if len(to) == 0 {
		return nil
	}
	return s.streams.UsersEvent(ctx, appID, to, ev)
}

// Broadcaster reaches every connection that is in at least one live room
// (AVChatRoom) of an app, once each, on every node; the gateway implements
// it with one bus message per broadcast, whatever the number of rooms.
type Broadcaster interface {
	DeliverAllRooms(ctx context.Context, appID uint64, p im.Push) error
}

// FeatureBroadcast is the per-app switch of send_broadcast_msg (10007
// when off).
const FeatureBroadcast = "group_broadcast"

// BroadcastInput is send_broadcast_msg.
type BroadcastInput struct {
	From            string
	FromAdmin       bool
	Random          uint32
	Body            []im.MsgElem
	CloudCustomData string
	// Enabled is the app's switch of broadcasts (10007 when off).
	Enabled bool
}

// Broadcast sends one message to every live room of the app: numbered by
// the app's own broadcast counter, stored nowhere, pushed once to each
// connection in a room. The same message again within 5 minutes (same
// Random and content) is answered with the original's MsgSeq and not
// pushed again. Codes: 10007 switched off, 10004 a field invalid, 10019
// From_Account not imported, 80002 over 12 KB.
func (s *Service) Broadcast(ctx context.Context, appID uint64, in BroadcastInput, now time.Time) (int64, error) {
	if !in.Enabled {
		return 0, &im.Error{Code: im.CodeGroupNotAllowed, Info: "broadcast messages are switched off for this app"}
	}
	body, err := encodeBody(in.Body, im.CodeGroupBadParam)
	if err != nil {
		return 0, err
	}
	if n := len(body) + len(in.CloudCustomData); n > MaxContentBytes {
		return 0, im.Errorf(im.CodeMsgTooLong, "message content is %d bytes, over %d", n, MaxContentBytes)
	}
	if !in.FromAdmin {
		if err := s.groupSenderImported(ctx, appID, in.From); err != nil {
			return 0, err
		}
	}
	ev := broadcastMsg{Type: TypeBroadcastMsg, MsgTime: now.Unix(), From: in.From, Random: in.Random, MsgBody: body, CloudCustomData: in.CloudCustomData}
	seq, _, dup, err := s.store.CommitBroadcast(ctx, im.Broadcast{AppID: appID, Time: now.Unix(), Random: in.Random,
		ContentHash: hashParts([]byte(in.From), body, []byte(in.CloudCustomData)), DedupSince: now.Add(-stream.GroupDedupWindow).Unix()})
	if err != nil {
		return 0, fmt.Errorf("message: broadcast: %w", err)
	}
	if dup {
		return seq, nil
	}
	ev.MsgSeq = seq
	if s.broadcast == nil {
		s.log.Warn("broadcast not delivered: this server has no live-room broadcaster", "app", appID, "seq", seq)
		return seq, nil
	}
	if err := s.broadcast.DeliverAllRooms(context.WithoutCancel(ctx), appID, im.Push{Event: encode(ev)}); err != nil {
		s.log.Warn("broadcast not published to every node", "app", appID, "seq", seq, "err", err)
	}
	return seq, nil
}
