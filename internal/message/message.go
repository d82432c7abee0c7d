// Package message implements group messages (rest-messages.md): sending
// into a group's stream under the group's MsgSeq counter, duplicate
// suppression, the sender's membership and mute checks, delivery to the
// recipients' connections, and history pulls.
package message

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/chatd/chatd/internal/im"
)

// Limits of group messages (rest-messages.md S1, S6, S7; overview.md §7).
const (
	// MaxContentBytes caps MsgBody (its compact JSON text) plus
	// CloudCustomData; over it a send fails with 80002.
	MaxContentBytes = 12 << 10
	// DedupWindow is how long the same Random and content from the same
	// sender make a message a duplicate of the earlier one.
	DedupWindow = 5 * time.Minute
	// MaxToAccounts caps To_Account.
	MaxToAccounts = 50
	// MaxGroupAts caps GroupAtInfo (10053).
	MaxGroupAts = 30
	// MaxHistoryPage is how many messages one history pull returns at most.
	MaxHistoryPage = 20
)

// Pusher delivers events to connections; *gateway.Gateway implements it.
type Pusher interface {
	// PushToGroup reaches every connection in a live room, on every node.
	PushToGroup(ctx context.Context, appID uint64, groupID string, payload json.RawMessage) error
	// PushToUser reaches every connection of one user, on every node.
	PushToUser(ctx context.Context, appID uint64, userID string, payload json.RawMessage) error
}

// Groups looks groups up; *group.Service implements it.
type Groups interface {
	// Get returns the group or a wire error: 10004 (no ID), 10015 (invalid
	// ID), 10010 (no such group).
	Get(ctx context.Context, appID uint64, groupID string) (*im.Group, error)
	// Members returns the group's stored members.
	Members(ctx context.Context, appID uint64, groupID string) ([]im.Member, error)
}

// Accounts tells which UserIDs are imported.
type Accounts interface {
	GetAccounts(ctx context.Context, appID uint64, userIDs []string) (map[string]im.Account, error)
}

// Deps are what the message service works over. Pusher may be nil (no
// gateway: nothing is delivered); Logger may be nil.
type Deps struct {
	Store    im.MessageStore
	Groups   Groups
	Accounts Accounts
	Pusher   Pusher
	Logger   *slog.Logger
}

// Service is the group message domain.
type Service struct {
	store    im.MessageStore
	groups   Groups
	accounts Accounts
	pusher   Pusher
	log      *slog.Logger
}

// NewService returns the message service.
func NewService(d Deps) *Service {
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: d.Store, groups: d.Groups, accounts: d.Accounts, pusher: d.Pusher, log: log}
}

// checkTopic refuses a TopicId: only a Community with topics has topics,
// and chatd serves no topic yet, so none can exist.
func checkTopic(g *im.Group, topicID string) error {
	switch {
	case topicID == "":
		return nil
	case g.Type != im.GroupCommunity || !g.SupportTopic:
		return im.Errorf(im.CodeGroupNotAllowed, "group %s has no topics", g.ID)
	default:
		return im.Errorf(im.CodeGroupNotFound, "topic %s does not exist", topicID)
	}
}
