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
	if err := s.mustBeMember(ctx, appID, groupID, userID); err != nil {
		return GroupSync{}, err
	}
	head := max(g.NextMsgSeq-1, 0)
	out := GroupSync{GroupID: groupID, MsgSeq: head, EventSeq: afterEvent, Complete: true}
	if afterMsg < 0 {
		out.EventSeq = g.EventSeq
		return out, nil
	}
	st := im.MsgStream{AppID: appID, GroupID: groupID}
	if out.Messages, out.MsgSeq, out.Complete, err = s.messagesAfter(ctx, st, userID, afterMsg, head, limit); err != nil {
		return GroupSync{}, err
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

// messagesAfter reads a page of a stream's stored messages after after,
// up to head, that userID may see (a message sent with To_Account only to
// its addressees and sender), as the pushes they were. pos is how far the
// caller has the stream then; complete says it reached head.
func (s *Service) messagesAfter(ctx context.Context, st im.MsgStream, userID string, after, head int64, limit int) (out []im.Push, pos int64, complete bool, err error) {
	msgs, err := s.store.ListMessagesAfter(ctx, st, after, limit)
	if err != nil {
		return nil, 0, false, fmt.Errorf("message: sync %s: %w", st.GroupID, err)
	}
	pos, complete = head, len(msgs) < limit
	for i := range msgs {
		m := &msgs[i]
		if m.Seq > head {
			break
		}
		if len(m.To) == 0 || m.From == userID || slices.Contains(m.To, userID) {
			out = append(out, im.Push{MsgSeq: m.Seq, Event: messagePayload(m, false)})
		}
		if !complete {
			pos = m.Seq
		}
	}
	return out, pos, complete, nil
}

// TopicSync is one page of a topic's messages after a client's position.
type TopicSync struct {
	GroupID string
	TopicID string
	// Messages are the topic's stored messages after the client's MsgSeq,
	// oldest first, each with its MsgSeq in the topic.
	Messages []im.Push
	// MsgSeq is how far the client now has the topic.
	MsgSeq   int64
	Complete bool
}

// SyncTopic returns what a member's client is missing of a community
// topic: its messages after afterMsg, up to limit (stream.SyncPage at
// most). A negative afterMsg asks for the head only. Errors: the group
// API's 10004/10015/10010, 10007 for a group without topics or a user who
// is not a member, 10010 for a topic that does not exist.
func (s *Service) SyncTopic(ctx context.Context, appID uint64, userID, groupID, topicID string, afterMsg int64, limit int) (TopicSync, error) {
	if limit <= 0 || limit > stream.SyncPage {
		limit = stream.SyncPage
	}
	if topicID == "" {
		return TopicSync{}, &im.Error{Code: im.CodeGroupBadParam, Info: "TopicId is required"}
	}
	// The head is read first: whatever is committed after it is past it.
	t, err := s.groups.Topic(ctx, appID, groupID, topicID)
	if err != nil {
		return TopicSync{}, err
	}
	if err := s.mustBeMember(ctx, appID, groupID, userID); err != nil {
		return TopicSync{}, err
	}
	out := TopicSync{GroupID: groupID, TopicID: topicID, MsgSeq: max(t.NextMsgSeq-1, 0), Complete: true}
	if afterMsg < 0 {
		return out, nil
	}
	st := im.MsgStream{AppID: appID, GroupID: groupID, TopicID: topicID}
	if out.Messages, out.MsgSeq, out.Complete, err = s.messagesAfter(ctx, st, userID, afterMsg, out.MsgSeq, limit); err != nil {
		return TopicSync{}, err
	}
	return out, nil
}

// mustBeMember answers 10007 unless userID is a stored member of the
// group, with one point lookup.
func (s *Service) mustBeMember(ctx context.Context, appID uint64, groupID, userID string) error {
	_, err := s.member(ctx, appID, groupID, userID)
	return err
}

// member returns userID's own membership, 10007 when there is none.
func (s *Service) member(ctx context.Context, appID uint64, groupID, userID string) (im.Member, error) {
	members, err := s.store.GetMembers(ctx, appID, groupID, []string{userID})
	if err != nil {
		return im.Member{}, fmt.Errorf("message: membership of %s in %s: %w", userID, groupID, err)
	}
	m, ok := members[userID]
	if !ok {
		return im.Member{}, im.Errorf(im.CodeGroupNotAllowed, "%s is not a member of group %s", userID, groupID)
	}
	return m, nil
}
