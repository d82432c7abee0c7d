package message

import (
	"context"
	"fmt"
	"math"

	"github.com/chatd/chatd/internal/im"
)

// HistoryInput is a group_msg_get_simple request in domain terms.
type HistoryInput struct {
	GroupID string
	TopicID string
	// MaxSeq is the highest MsgSeq to return; nil, or 0 (which older
	// clients send to mean the newest: MsgSeq starts at 1), starts from
	// the newest.
	MaxSeq *int64
	// Want is how many messages the caller asks for; at most
	// MaxHistoryPage come back.
	Want int
	// WithRecalled includes recalled messages (without their content).
	WithRecalled bool
}

// Page is one history pull, newest message first.
type Page struct {
	Messages []im.GroupMessage
	// Finished says every message asked for was returned: fewer than Want
	// come back only when no older message is stored.
	Finished bool
}

// History reads a group's (or a topic's) stored messages backwards from
// MaxSeq. Live groups keep no history (10007).
func (s *Service) History(ctx context.Context, appID uint64, in HistoryInput) (Page, error) {
	if in.Want <= 0 {
		return Page{}, &im.Error{Code: im.CodeGroupBadParam, Info: "ReqMsgNumber must be a positive number of messages"}
	}
	maxSeq := int64(math.MaxInt64)
	if in.MaxSeq != nil && *in.MaxSeq != 0 {
		if maxSeq = *in.MaxSeq; maxSeq < 0 {
			return Page{}, &im.Error{Code: im.CodeGroupBadParam, Info: "ReqMsgSeq must not be negative"}
		}
	}
	st, _, err := s.storedStream(ctx, appID, in.GroupID, in.TopicID)
	if err != nil {
		return Page{}, err
	}
	limit := min(in.Want, MaxHistoryPage)
	// One extra message tells whether older ones remain.
	msgs, err := s.store.ListHistory(ctx, st, maxSeq, limit+1, in.WithRecalled)
	if err != nil {
		return Page{}, fmt.Errorf("message: history of %s: %w", in.GroupID, err)
	}
	page := Page{Messages: msgs, Finished: true}
	if len(msgs) > limit {
		page.Messages = msgs[:limit]
		page.Finished = in.Want <= limit
	}
	return page, nil
}

// storedStream checks that a group, or one of its topics, keeps its
// messages and names the stream: the group API's 10004/10015/10010, 10007
// for a live group (no history) or a group without topics, 10010 for a
// topic that does not exist.
func (s *Service) storedStream(ctx context.Context, appID uint64, groupID, topicID string) (im.MsgStream, *im.Group, error) {
	g, err := s.groups.Get(ctx, appID, groupID)
	if err != nil {
		return im.MsgStream{}, nil, err
	}
	if g.Type == im.GroupAVChatRoom {
		return im.MsgStream{}, nil, im.Errorf(im.CodeGroupNotAllowed, "group %s is an AVChatRoom, which keeps no messages", g.ID)
	}
	st, err := s.topicStream(ctx, g, topicID)
	return st, g, err
}

// topicStream names g's own stream (topicID "") or one of its topics',
// checking the topic exists: 10007 when g has no topics, 10010 when the
// topic does not exist.
func (s *Service) topicStream(ctx context.Context, g *im.Group, topicID string) (im.MsgStream, error) {
	if topicID != "" {
		if _, err := s.groups.Topic(ctx, g.AppID, g.ID, topicID); err != nil {
			return im.MsgStream{}, err
		}
	}
	return im.MsgStream{AppID: g.AppID, GroupID: g.ID, TopicID: topicID}, nil
}
