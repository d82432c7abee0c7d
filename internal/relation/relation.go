// Package relation implements the relationship chain of rest-users.md
// (S5, S6; Friend management, Friend lists, Blocklist) for the REST API
// and for clients: one-way and two-way friends, friend requests held for
// the target's confirmation, friend lists, blocklists and what they do to
// friendships and one-to-one sends. Every change is one transaction that
// decides on what it reads under the accounts' locks and commits the
// events about it, so each side's devices learn of it in their streams.
package relation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chatd/chatd/internal/batch"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/profile"
	"github.com/chatd/chatd/internal/stream"
)

// Limits of the relationship chain (rest-users.md S5, S6; overview.md §7).
const (
	MaxFriends      = 3000 // per friend table (30010, 30014)
	MaxLists        = 32   // friend lists per user (30011)
	MaxListName     = 30   // bytes
	MaxRemark       = 96   // bytes
	MaxAddWording   = 256  // bytes
	MaxCustomValue  = 500  // bytes of a custom friend field's string
	MaxCustomFields = 20   // declared custom friend fields per app
	MaxBlocks       = 1000 // per blocklist (30013)
	MaxRequests     = 100  // pending requests a user has sent (30012)
	MaxBatch        = 1000 // targets of one call
	MaxGetList      = 100  // friends of one friend_get_list
	FriendPage      = 100  // friends of one friend_get page
)

// Tags of friend data (S5).
const (
	TagGroup      = "Tag_SNS_IM_Group"
	TagRemark     = "Tag_SNS_IM_Remark"
	TagAddSource  = "Tag_SNS_IM_AddSource"
	TagAddWording = "Tag_SNS_IM_AddWording"
	TagAddTime    = "Tag_SNS_IM_AddTime"
	TagRemarkTime = "Tag_SNS_IM_RemarkTime"
	// CustomPrefix starts every custom friend tag.
	CustomPrefix = "Tag_SNS_Custom_"
	// AddSourcePrefix starts every AddSource.
	AddSourcePrefix = "AddSource_Type_"
)

// Profiles is what the relationship rules read of profiles;
// *profile.Service implements it.
type Profiles interface {
	// Read returns the set fields among tags of each account that exists,
	// after checking the tags are readable with access.
	Read(ctx context.Context, appID uint64, userIDs, tags []string, access profile.Access) (map[string][]im.TagValue, error)
	// Known reports whether tag is a profile tag of the app.
	Known(appID uint64, tag string) bool
}

// Deps are what the service works over. Streams may be nil (nothing is
// pushed); Hooks nil sends no callbacks; Now defaults to time.Now.
type Deps struct {
	Store    im.RelationStore
	Profiles Profiles
	Streams  *stream.Service
	Hooks    Hooks
	Apps     []config.App
	Now      func() time.Time
}

// Service is the relationship domain.
type Service struct {
	store im.RelationStore
	// blockReads reads the blocklist entries that one-to-one sends check
	// in batches: one read per app and batch instead of one per send.
	blockReads *batch.Committer[batch.AppKey[im.Pair], bool]
	profiles   Profiles
	streams    *stream.Service
	hooks      Hooks
	custom     map[uint64]map[string]bool // declared Tag_SNS_Custom_* tags per app
	now        func() time.Time
}

// NewService returns the relationship service. It fails on an app's
// custom friend field declarations that break the vendor's rules.
func NewService(d Deps) (*Service, error) {
	s := &Service{store: d.Store, blockReads: batch.LookupByApp(blockedAmong(d.Store)), profiles: d.Profiles, streams: d.Streams, hooks: d.Hooks, custom: map[uint64]map[string]bool{}, now: d.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if s.hooks == nil {
		s.hooks = noHooks{}
	}
	for _, app := range d.Apps {
		if len(app.CustomFriendFields) > MaxCustomFields {
			return nil, fmt.Errorf("relation: app %d: custom_friend_fields: %d declared, at most %d", app.SDKAppID, len(app.CustomFriendFields), MaxCustomFields)
		}
		tags := map[string]bool{}
		for _, k := range app.CustomFriendFields {
			if !profile.ValidKeyword(k) {
				return nil, fmt.Errorf("relation: app %d: custom_friend_fields: %q must be 1-%d English letters", app.SDKAppID, k, profile.MaxKeyword)
			}
			tags[CustomPrefix+k] = true
		}
		s.custom[app.SDKAppID] = tags
	}
	return s, nil
}

// ItemResult is one target's outcome (S3).
type ItemResult struct {
	To         string `json:"To_Account"`
	ResultCode int    `json:"ResultCode"`
	ResultInfo string `json:"ResultInfo"`
}

// BatchResult is the answer of a call with per-target outcomes.
type BatchResult struct {
	ResultItem   []ItemResult `json:"ResultItem"`
	FailAccount  []string     `json:"Fail_Account,omitempty"`
	ErrorDisplay string       `json:"ErrorDisplay"`
}

// add records one target's outcome.
func (b *BatchResult) add(to string, code int, info string) {
	b.ResultItem = append(b.ResultItem, ItemResult{To: to, ResultCode: code, ResultInfo: info})
	if code != 0 {
		b.FailAccount = append(b.FailAccount, to)
	}
}

// badParam is the relationship chain's refusal of a request (30001).
func badParam(format string, args ...any) error {
	return im.Errorf(im.CodeSNSBadParam, format, args...)
}

// notAccount is 30003 for the account whose data a call reads or writes.
func notAccount(id string) error {
	return im.Errorf(im.CodeSNSAccountNotFound, "account %s is not imported", id)
}

// targets checks a list of UserIDs: 1 to max, none empty.
func targets(field string, ids []string, max int) error {
	if len(ids) == 0 || len(ids) > max {
		return badParam("%s must hold 1 to %d accounts, got %d", field, max, len(ids))
	}
	for _, id := range ids {
		if id == "" {
			return badParam("%s holds an empty UserID", field)
		}
	}
	return nil
}

// owner checks the From_Account of a request.
func owner(from string) error {
	if from == "" {
		return badParam("From_Account is required")
	}
	return nil
}

// seqs reads an owner's versions, with 30003 for a missing account.
func (s *Service) seqs(ctx context.Context, r im.RelationReader, appID uint64, ownerID string) (im.RelationSeqs, error) {
	seqs, err := r.RelationSeqs(ctx, appID, ownerID)
	if errors.Is(err, im.ErrNotFound) {
		return seqs, notAccount(ownerID)
	}
	return seqs, err
}

// update runs one read-decide-write transaction over the accounts of
// users, then pushes the events it committed. A write that collided with
// a concurrent one on PostgreSQL is 30008, as the spec says.
func (s *Service) update(ctx context.Context, appID uint64, users []string, decide func(r im.RelationReader, accounts map[string]bool) (*change, error)) error {
	var w *im.RelationWrite
	results, err := s.store.UpdateRelations(ctx, appID, users, func(r im.RelationReader, accounts map[string]bool) (*im.RelationWrite, error) {
		ch, err := decide(r, accounts)
		if err != nil || ch == nil {
			return nil, err
		}
		w = ch.write(appID, s.now())
		return w, nil
	})
	switch {
	case errors.Is(err, im.ErrConflict):
		return im.Errorf(im.CodeSNSConflict, "a concurrent write changed the same relationship data; retry, batching writes of one account")
	case err != nil:
		return fmt.Errorf("relation: %w", err)
	}
	if w != nil && s.streams != nil {
		for i, sw := range w.Streams {
			s.streams.PushCommitted(ctx, sw, results[i])
		}
	}
	return nil
}

// set is a set of UserIDs.
type set map[string]bool

func setOf(ids []string) set {
	out := make(set, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// byUser indexes friend entries by UserID.
func byUser(fs []im.Friend) map[string]im.Friend {
	out := make(map[string]im.Friend, len(fs))
	for _, f := range fs {
		out[f.UserID] = f
	}
	return out
}

// with returns ids and extra, without duplicates.
func with(ids []string, extra ...string) []string {
	out := append(slices.Clone(ids), extra...)
	slices.Sort(out)
	return slices.Compact(out)
}

// blockedAmong reads which pairs (Owner blocks Peer) are blocklist entries.
func blockedAmong(store im.RelationStore) func(ctx context.Context, app uint64, pairs []im.Pair) (map[im.Pair]bool, error) {
	return func(ctx context.Context, app uint64, pairs []im.Pair) (map[im.Pair]bool, error) {
		found, err := store.BlockPairs(ctx, app, pairs)
		blocked := make(map[im.Pair]bool, len(found))
		for _, p := range found {
			blocked[p] = true
		}
		return blocked, err
	}
}
