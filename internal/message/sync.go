package message

import (
	"context"
	"fmt"
	"slices"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/stream"
)

// GroupSync is one page of a group's two streams after a client's
// positions.
type GroupSync struct {
	GroupID string
	// Messages are the stored messages after the client's MsgSeq that the
	// user may see, oldest first, each with its MsgSeq.
	Messages []im.Push
	// Events are the group events after the client's EventSeq, in order.
	Events []im.Push
	// MsgSeq and EventSeq are how far the client now has each stream:
	// numbers up to them that were not returned are not for the user (not
	// stored, or addressed to other members).
	MsgSeq   int64
	EventSeq int64
	// Complete says both streams are read to their heads; otherwise sync
	// again from MsgSeq and EventSeq.
	Complete bool
}

// SyncGroup returns what a member's client is missing of a stored group:
// messages after afterMsg and events after afterEvent, up to limit of each
// (stream.SyncPage at most). A negative afterMsg asks for the heads only
// (a client that starts following a group). Errors: the group API's
// 10004/10015/10010, 10007 for a live room (no streams) or a user who is
// not a member.
func (s *Service) SyncGroup(ctx context.Context, appID uint64, userID, groupID string, afterMsg, afterEvent int64, limit int) (GroupSync, error) {
	if limit <= 0 || limit > stream.SyncPage {
		limit = stream.SyncPage
	}
	// The head is read first: whatever is committed after it is past it,
	// so a client that advances to it never skips a message.
	g, err := s.groups.Get(ctx, appID, groupID)
	if err != nil {
		return GroupSync{}, err
	}
	if g.Type == im.GroupAVChatRoom {
		return GroupSync{}, im.Errorf(im.CodeGroupNotAllowed, "group %s is an AVChatRoom: its messages are not stored", groupID)
	}
	members, err := s.store.GetMembers(ctx, appID, groupID, []string{userID})
	if err != nil {
		return GroupSync{}, fmt.Errorf("message: sync %s: %w", groupID, err)
	}
	if _, ok := members[userID]; !ok {
		return GroupSync{}, im.Errorf(im.CodeGroupNotAllowed, "%s is not a member of group %s", userID, groupID)
	}
	head := max(g.NextMsgSeq-1, 0)
	out := GroupSync{GroupID: groupID, MsgSeq: head, EventSeq: afterEvent, Complete: true}
	if afterMsg < 0 {
		out.EventSeq = g.EventSeq
		return out, nil
	}
	msgs, err := s.store.ListGroupMessagesAfter(ctx, appID, groupID, afterMsg, limit)
	if err != nil {
		return GroupSync{}, fmt.Errorf("message: sync %s: %w", groupID, err)
	}
	for i := range msgs {
		m := &msgs[i]
		if m.Seq > head {
			break
		}
		if len(m.To) == 0 || m.From == userID || slices.Contains(m.To, userID) {
			out.Messages = append(out.Messages, im.Push{MsgSeq: m.Seq, Event: groupMsgPayload(m, false)})
		}
		if len(msgs) == limit {
			out.MsgSeq = m.Seq
		}
	}
	if len(msgs) == limit {
		out.Complete = false
	}
	events, err := s.store.ListGroupEvents(ctx, appID, groupID, afterEvent, limit)
	if err != nil {
		return GroupSync{}, fmt.Errorf("message: sync %s: %w", groupID, err)
	}
	for _, e := range events {
		out.Events = append(out.Events, im.Push{EventSeq: e.Seq, Event: e.Payload})
		out.EventSeq = e.Seq
	}
	if len(events) == limit {
		out.Complete = false
	}
	return out, nil
}
