// Package message implements the messages of rest-messages.md: one-to-one
// and group messages sent by the REST API and by clients, with one model
// (MsgBody per S2, the 12 KB limit, CloudCustomData, OfflinePushInfo,
// duplicate suppression) and one write path: every message is committed
// into the streams (package stream) before it is acknowledged, then pushed
// to the recipients' connections with its sequence number.
package message

import (
	"context"
	"log/slog"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/stream"
)

// Limits of messages (rest-messages.md S1, S5, S6, S7; overview.md §7).
const (
	// MaxContentBytes caps MsgBody (its compact JSON text) plus
	// CloudCustomData; over it a group send fails with 80002 and a
	// one-to-one send with 93000.
	MaxContentBytes = 12 << 10
	// MaxToAccounts caps To_Account of a group message.
	MaxToAccounts = 50
	// MaxGroupAts caps GroupAtInfo (10053).
	MaxGroupAts = 30
	// MaxHistoryPage is how many messages one history pull returns at most.
	MaxHistoryPage = 20
	// MaxLifeTime is the longest MsgLifeTime; longer ones are clamped.
	MaxLifeTime = 7 * 24 * time.Hour
)

// Groups looks groups and members up; *group.Service implements it.
type Groups interface {
	// Get returns the group or a wire error: 10004 (no ID), 10015 (invalid
	// ID), 10010 (no such group).
	Get(ctx context.Context, appID uint64, groupID string) (*im.Group, error)
	// Topic returns a community's topic or a wire error: 10007 when the
	// group has no topics, 10010 when the topic does not exist.
	Topic(ctx context.Context, appID uint64, groupID, topicID string) (*im.Topic, error)
	// MutedUntil returns when userID's mute in the group (topicID "") or
	// one of its topics ends, 0 when not muted at now.
	MutedUntil(ctx context.Context, appID uint64, groupID, topicID, userID string, now time.Time) (int64, error)
}

// Store is what the service reads and writes directly.
type Store interface {
	im.MessageStore
	im.C2CStore
	im.StreamStore
	im.MsgExtStore
	// GetMembers returns the stored memberships of the listed users.
	GetMembers(ctx context.Context, appID uint64, groupID string, userIDs []string) (map[string]im.Member, error)
	// GetAccounts returns the accounts among userIDs that exist.
	GetAccounts(ctx context.Context, appID uint64, userIDs []string) (map[string]im.Account, error)
}

// Senders are the rules about who may send that the relationship domains
// decide: a user's global mute and the recipient's blocklist.
type Senders interface {
	// CheckMuted refuses a globally muted sender: 20012 for a one-to-one
	// message (group false), 10017 for a group message.
	CheckMuted(ctx context.Context, appID uint64, userID string, group bool) error
	// CheckBlocked refuses a one-to-one message from a sender on the
	// recipient's blocklist (20007).
	CheckBlocked(ctx context.Context, appID uint64, from, to string) error
}

// Accounts tells which users are imported accounts; *account.Service
// answers from memory the accounts this node has seen.
type Accounts interface {
	Imported(ctx context.Context, appID uint64, userIDs []string) (map[string]bool, error)
}

// storeAccounts reads accounts from the store, for a service built
// without Accounts.
type storeAccounts struct{ store Store }

func (a storeAccounts) Imported(ctx context.Context, appID uint64, userIDs []string) (map[string]bool, error) {
	found, err := a.store.GetAccounts(ctx, appID, userIDs)
	out := make(map[string]bool, len(found))
	for id := range found {
		out[id] = true
	}
	return out, err
}

// Deps are what the message service works over. Logger may be nil;
// Limiter nil is a per-node GroupLimiter; Broadcast nil numbers
// broadcasts but delivers them nowhere; Senders nil checks no mutes or
// blocklists; Hooks nil sends no callbacks; Accounts nil reads accounts
// from Store.
type Deps struct {
	Store     Store
	Streams   *stream.Service
	Groups    Groups
	Limiter   Limiter
	Broadcast Broadcaster
	Senders   Senders
	Hooks     Hooks
	Accounts  Accounts
	Logger    *slog.Logger
}

// Service is the message domain.
type Service struct {
	store     Store
	streams   *stream.Service
	groups    Groups
	limiter   Limiter
	broadcast Broadcaster
	senders   Senders
	hooks     Hooks
	accounts  Accounts
	log       *slog.Logger
}

// NewService returns the message service.
func NewService(d Deps) *Service {
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	limiter := d.Limiter
	if limiter == nil {
		limiter = NewGroupLimiter(nil)
	}
	hooks := d.Hooks
	if hooks == nil {
		hooks = noHooks{}
	}
	accounts := d.Accounts
	if accounts == nil {
		accounts = storeAccounts{d.Store}
	}
	return &Service{store: d.Store, streams: d.Streams, groups: d.Groups, limiter: limiter, broadcast: d.Broadcast, senders: d.Senders, hooks: hooks, accounts: accounts, log: log}
}
