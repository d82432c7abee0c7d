package stream

import (
	"context"
	"fmt"

	"github.com/chatd/chatd/internal/im"
)

// UserSync is one page of a user's stream and where their groups stand.
type UserSync struct {
	// Events are the entries after the caller's Seq, in order.
	Events []im.UserEvent
	// Head is the stream's last Seq; with Complete, the caller has
	// everything up to it (numbers not returned were skipped or expired).
	Head     int64
	Complete bool
	// Groups are the heads of every stored group the user belongs to.
	Groups []im.GroupHead
}

// SyncUser returns up to limit entries of the user's stream after after
// (SyncPage when limit is not positive or larger) and the user's group
// heads. A user who is not an account has an empty stream.
func (s *Service) SyncUser(ctx context.Context, appID uint64, userID string, after int64, limit int) (UserSync, error) {
	if limit <= 0 || limit > SyncPage {
		limit = SyncPage
	}
	events, head, err := s.store.ListUserEvents(ctx, appID, userID, after, s.now().Unix(), limit)
	if err != nil {
		return UserSync{}, fmt.Errorf("stream: sync %s: %w", userID, err)
	}
	out := UserSync{Events: events, Head: head, Complete: len(events) < limit}
	if out.Groups, err = s.store.ListGroupHeads(ctx, appID, userID); err != nil {
		return UserSync{}, fmt.Errorf("stream: sync %s: %w", userID, err)
	}
	return out, nil
}
