package relation

import (
	"context"
)

// Hooks are the app's callbacks about relationships (webhooks.md): the
// before hooks judge a client's friend request or answer inline; the after
// hooks queue the report of a committed change and return at once.
// friend_import calls none.
type Hooks interface {
	// BeforeAdd asks about a client's friend request, target by target,
	// and returns the verdicts of the targets it refuses, by UserID.
	BeforeAdd(ctx context.Context, appID uint64, req *AddRequest) map[string]ItemResult
	// BeforeRespond asks about a client's answer to a friend request; a
	// refusal is an *im.Error.
	BeforeRespond(ctx context.Context, appID uint64, userID string, req *RespondRequest) error
	// AfterAdd reports the entries friend tables gained: by an add
	// (response false) or by accepting a request.
	AfterAdd(ctx context.Context, appID uint64, pairs []AddedPair, response, force bool)
	// AfterDelete reports the entries friend tables lost.
	AfterDelete(ctx context.Context, appID uint64, pairs []PairItem)
	// AfterBlock and AfterUnblock report blocklist entries added and
	// removed (From the owner, To the user blocked).
	AfterBlock(ctx context.Context, appID uint64, pairs []PairItem)
	AfterUnblock(ctx context.Context, appID uint64, pairs []PairItem)
}

// AddedPair is one entry a friend table gained, and who started the add.
type AddedPair struct {
	PairItem
	Initiator string
}

// cause is what the friendships a change writes came from, as the
// callbacks report it.
type cause struct {
	initiator string
	response  bool // a request was accepted
	force     bool // ForceAddFlags
}

// report tells the callbacks what a committed change did; c may be nil
// (nothing was written).
func (s *Service) report(ctx context.Context, appID uint64, c *change, why cause) {
	if c == nil {
		return
	}
	var added []AddedPair
	var deleted, blocked, unblocked []PairItem
	for _, u := range c.users {
		for _, ev := range c.events[u] {
			switch e := ev.(type) {
			case *PairsEvent:
				for _, p := range e.PairList {
					if e.Type == TypeFriendAdded {
						added = append(added, AddedPair{PairItem: p, Initiator: why.initiator})
					} else if e.Type == TypeFriendDeleted {
						deleted = append(deleted, p)
					}
				}
			case BlocklistEvent:
				for _, to := range e.To {
					if e.Type == TypeBlocklistAdded {
						blocked = append(blocked, PairItem{From: u, To: to})
					} else {
						unblocked = append(unblocked, PairItem{From: u, To: to})
					}
				}
			}
		}
	}
	if len(added) > 0 {
		s.hooks.AfterAdd(ctx, appID, added, why.response, why.force)
	}
	if len(deleted) > 0 {
		s.hooks.AfterDelete(ctx, appID, deleted)
	}
	if len(blocked) > 0 {
		s.hooks.AfterBlock(ctx, appID, blocked)
	}
	if len(unblocked) > 0 {
		s.hooks.AfterUnblock(ctx, appID, unblocked)
	}
}

// noHooks sends no callbacks.
type noHooks struct{}

func (noHooks) BeforeAdd(context.Context, uint64, *AddRequest) map[string]ItemResult { return nil }
func (noHooks) BeforeRespond(context.Context, uint64, string, *RespondRequest) error { return nil }
func (noHooks) AfterAdd(context.Context, uint64, []AddedPair, bool, bool)            {}
func (noHooks) AfterDelete(context.Context, uint64, []PairItem)                      {}
func (noHooks) AfterBlock(context.Context, uint64, []PairItem)                       {}
func (noHooks) AfterUnblock(context.Context, uint64, []PairItem)                     {}
