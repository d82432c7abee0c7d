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
	// MaxSeq is the highest MsgSeq to return; nil starts from the newest.
	MaxSeq *int64
	// Want is how many messages the caller asks for; at most
	// MaxHistoryPage come back.
	Want int
}

// Page is one history pull, newest message first.
type Page struct {
	Messages []im.GroupMessage
	// Finished says every message asked for was returned: fewer than Want
	// come back only when no older message is stored.
	Finished bool
}

// History reads a group's stored messages backwards from MaxSeq. Live
// groups keep no history (10007).
func (s *Service) History(ctx context.Context, appID uint64, in HistoryInput) (Page, error) {
	if in.Want <= 0 {
		return Page{}, &im.Error{Code: im.CodeGroupBadParam, Info: "ReqMsgNumber must be a positive number of messages"}
	}
	maxSeq := int64(math.MaxInt64)
	if in.MaxSeq != nil {
		if maxSeq = *in.MaxSeq; maxSeq < 0 {
			return Page{}, &im.Error{Code: im.CodeGroupBadParam, Info: "ReqMsgSeq must not be negative"}
		}
	}
	g, err := s.groups.Get(ctx, appID, in.GroupID)
	if err != nil {
		return Page{}, err
	}
	if g.Type == im.GroupAVChatRoom {
		return Page{}, im.Errorf(im.CodeGroupNotAllowed, "group %s is an AVChatRoom, which keeps no message history", g.ID)
	}
	if err := checkTopic(g, in.TopicID); err != nil {
		return Page{}, err
	}
	limit := min(in.Want, MaxHistoryPage)
	// One extra message tells whether older ones remain.
	msgs, err := s.store.ListGroupMessages(ctx, appID, g.ID, maxSeq, limit+1)
	if err != nil {
		return Page{}, fmt.Errorf("message: history of %s: %w", g.ID, err)
	}
	page := Page{Messages: msgs, Finished: true}
	if len(msgs) > limit {
		page.Messages = msgs[:limit]
		page.Finished = in.Want <= limit
	}
	return page, nil
}
