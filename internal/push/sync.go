package push

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/chatd/chatd/internal/im"
)

// SyncPage bounds the stream entries one sync reads.
const SyncPage = 100

// Entry is one push a user receives, with its place in the app's stream.
type Entry struct {
	PushSeq int64           `json:"PushSeq"`
	Event   json.RawMessage `json:"event"`
}

// Page is one page of the app's push stream as one user sees it.
type Page struct {
	// Pushes are the user's pushes after the caller's position, in order.
	Pushes []Entry
	// PushSeq is the caller's new position: entries up to it that are not
	// in Pushes were for other users, or expired.
	PushSeq int64
	// Complete is false when more entries follow: sync again from PushSeq.
	Complete bool
}

// Sync returns the pushes after position after that reach userID now: not
// expired, made since the user's account was, and matching their
// attributes or tags. It reads up to limit entries of the stream
// (SyncPage when limit is not positive or larger). An app that switched
// the family off, or a user who is not an account, has none.
func (s *Service) Sync(ctx context.Context, appID uint64, userID string, after int64, limit int) (Page, error) {
	if limit <= 0 || limit > SyncPage {
		limit = SyncPage
	}
	none := Page{Pushes: []Entry{}, PushSeq: after, Complete: true}
	if app := s.apps[appID]; app != nil && s.enabled(app) != nil {
		return none, nil
	}
	accounts, err := s.store.GetAccounts(ctx, appID, []string{userID})
	if err != nil {
		return Page{}, fmt.Errorf("push: sync %s: %w", userID, err)
	}
	account, ok := accounts[userID]
	if !ok {
		return none, nil
	}
	entries, head, err := s.store.ListPushes(ctx, appID, after, s.now().Unix(), limit)
	if err != nil {
		return Page{}, fmt.Errorf("push: sync %s: %w", userID, err)
	}
	page := Page{Pushes: []Entry{}, PushSeq: head, Complete: len(entries) < limit}
	if !page.Complete {
		page.PushSeq = entries[len(entries)-1].Seq
	}
	var profile *im.PushProfile
	for _, p := range entries {
		if p.TimeMs/1000 < account.CreatedAt {
			continue // made before the user existed
		}
		if !p.Condition.Empty() {
			if profile == nil {
				got, err := s.store.PushProfiles(ctx, appID, []string{userID})
				if err != nil {
					return Page{}, fmt.Errorf("push: sync %s: %w", userID, err)
				}
				p := got[userID]
				profile = &p
			}
			if !p.Condition.Match(*profile) {
				continue
			}
		}
		page.Pushes = append(page.Pushes, Entry{PushSeq: p.Seq, Event: event(p)})
	}
	return page, nil
}
