// Package conversation implements a user's recent-conversation list
// (rest-messages.md S8 and the recentcontact commands): paging it with
// pinned conversations first, pins, reads, deletions, and the
// conversation groups and marks kept beside it.
//
// The list is kept by traffic, not computed per read: the store upserts
// the one-to-one rows of both sides of every stored message in the
// transaction that stores it, and derives group conversations from each
// group's head and the member's read position. Every change a user makes
// (here, over REST or from a device) becomes a ConversationChanged event
// in the user's stream, so the user's other devices see it, online or at
// their next sync.
package conversation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// Limits of the list.
const (
	// PageSize is how many conversations a get_list page holds (the spec
	// leaves it open).
	PageSize = 100
	// ContactPageSize is get_contact_group's page.
	ContactPageSize = 100
	// MaxPinned is how many conversations a user may pin (51012 beyond;
	// the spec gives no number).
	MaxPinned = 100
	// MaxMarkItems bounds mark_contact (51006).
	MaxMarkItems = 100
	// MaxSearchItems bounds search_contact_group.
	MaxSearchItems = 300
	// maxCursorIndex bounds a cursor's index (how many conversations of
	// one second a user's pages returned): beyond it the cursor is not one
	// a page gave.
	maxCursorIndex = 1 << 20
)

// AssistFlags bits of get_list.
const (
	FlagPins         = 1 << 0 // pinned conversations are known to the caller
	FlagEmpty        = 1 << 1 // include conversations without messages
	FlagPinsSeparate = 1 << 2 // page pinned conversations on pages of their own
)

// Store is what the service keeps its data in.
type Store interface {
	im.ConversationStore
	GetAccounts(ctx context.Context, appID uint64, userIDs []string) (map[string]im.Account, error)
}

// Notifier puts events in users' streams; *stream.Service satisfies it.
type Notifier interface {
	UsersEvent(ctx context.Context, appID uint64, userIDs []string, ev any) error
}

// Deps are what the service works over.
type Deps struct {
	Store  Store
	Events Notifier
	// Groups reads a group; an error means it cannot be resolved.
	Groups func(ctx context.Context, appID uint64, groupID string) (*im.Group, error)
	// Messages reads one-to-one conversations (a read is
	// openim/admin_set_msg_read's, with its read receipt and events).
	Messages *message.Service
	Now      func() time.Time
}

// Service is the conversation domain.
type Service struct {
	d Deps
}

// NewService returns the service over d.
func NewService(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{d: d}
}

// CheckKey refuses a malformed conversation (50002).
func CheckKey(k im.ConvKey) error {
	switch k.Type {
	case im.ConvC2C:
		if k.Peer == "" || !im.ValidUserID(k.Peer) {
			return im.Errorf(im.CodeConvBadParam, "To_Account %q is not a UserID", k.Peer)
		}
	case im.ConvGroup:
		if k.Peer == "" || len(k.Peer) > 48 {
			return im.Errorf(im.CodeConvBadParam, "group ID %q is not valid", k.Peer)
		}
	default:
		return im.Errorf(im.CodeConvBadParam, "Type %d must be 1 (one-to-one) or 2 (group)", k.Type)
	}
	return nil
}

// RequireOwner refuses a list owner who is not an imported account
// (50001).
func (s *Service) RequireOwner(ctx context.Context, appID uint64, owner string) error {
	if owner == "" || !im.ValidUserID(owner) {
		return im.Errorf(im.CodeConvBadParam, "From_Account %q is not a UserID", owner)
	}
	found, err := s.d.Store.GetAccounts(ctx, appID, []string{owner})
	if err != nil {
		return fail("accounts", err)
	}
	if _, ok := found[owner]; !ok {
		return im.Errorf(im.CodeConvNoAccount, "From_Account %s has not been imported", owner)
	}
	return nil
}

// fail wraps a store error with the area's internal code unless it
// carries a code of its own.
func fail(op string, err error) error {
	var e *im.Error
	if errors.As(err, &e) {
		return e
	}
	return &im.Error{Code: im.CodeConvInternal, Info: fmt.Sprintf("conversation: %s: %v", op, err)}
}

// ListInput asks for one page of a user's list.
type ListInput struct {
	Owner         string
	Ordinary, Top im.ConvCursor
	AssistFlags   int
	Limit         int // PageSize when 0
}

// Page is one page of the list.
type Page struct {
	Items         []im.Conversation
	Complete      bool
	Ordinary, Top im.ConvCursor
}

// List returns one page: with FlagPins, the pinned conversations first
// (newest first, their own cursor), then the others (their cursor);
// without it, every conversation in time order, none shown as pinned.
// A cursor is the time of the last conversation returned and how many of
// that time were returned, so a page costs the page (and the ties at its
// start), whatever the list's length.
func (s *Service) List(ctx context.Context, appID uint64, in ListInput) (Page, error) {
	if in.Ordinary.Index < 0 || in.Top.Index < 0 || in.Ordinary.Index > maxCursorIndex || in.Top.Index > maxCursorIndex {
		return Page{}, im.Errorf(im.CodeConvBadParam, "StartIndex and TopStartIndex must be 0 to %d", maxCursorIndex)
	}
	limit := in.Limit
	if limit <= 0 {
		limit = PageSize
	}
	pins := in.AssistFlags&FlagPins != 0
	withEmpty := in.AssistFlags&FlagEmpty != 0
	page := Page{Ordinary: in.Ordinary, Top: in.Top}
	if pins {
		pinned, err := s.d.Store.ListPinnedConversations(ctx, appID, in.Owner, withEmpty)
		if err != nil {
			return Page{}, fail("list pinned", err)
		}
		rest := skip(pinned, in.Top)
		take := min(len(rest), limit)
		page.Items = rest[:take]
		page.Top = advance(in.Top, page.Items)
		if take < len(rest) || take > 0 && in.AssistFlags&FlagPinsSeparate != 0 {
			return page, nil
		}
	}
	remaining := limit - len(page.Items)
	q := im.ConvListQuery{AppID: appID, Owner: in.Owner, After: in.Ordinary, Limit: in.Ordinary.Index + remaining + 1,
		WithEmpty: withEmpty, WithPinned: !pins}
	c2c, err := s.d.Store.ListConversations(ctx, q, im.ConvC2C)
	if err != nil {
		return Page{}, fail("list conversations", err)
	}
	groups, err := s.d.Store.ListConversations(ctx, q, im.ConvGroup)
	if err != nil {
		return Page{}, fail("list conversations", err)
	}
	ordinary := merge(c2c, groups)
	ordinary = ordinary[min(len(ordinary), in.Ordinary.Index):]
	take := min(len(ordinary), remaining)
	got := ordinary[:take]
	if !pins {
		for i := range got {
			got[i].Pinned = false
		}
	}
	page.Items = append(page.Items, got...)
	page.Ordinary = advance(in.Ordinary, got)
	page.Complete = take == len(ordinary)
	return page, nil
}

// skip drops what a cursor says was returned from a newest-first list.
func skip(list []im.Conversation, c im.ConvCursor) []im.Conversation {
	if c == (im.ConvCursor{}) {
		return list
	}
	i := 0
	for i < len(list) && list[i].MsgTime > c.Time {
		i++
	}
	return list[min(len(list), i+c.Index):]
}

// advance moves a cursor past the returned conversations.
func advance(c im.ConvCursor, got []im.Conversation) im.ConvCursor {
	if len(got) == 0 {
		return c
	}
	last := got[len(got)-1].MsgTime
	n := 0
	for i := len(got) - 1; i >= 0 && got[i].MsgTime == last; i-- {
		n++
	}
	if c != (im.ConvCursor{}) && c.Time == last {
		n += c.Index
	}
	return im.ConvCursor{Time: last, Index: n}
}

// merge merges two newest-first lists, one-to-one first at equal times,
// keeping each list's own order.
func merge(a, b []im.Conversation) []im.Conversation {
	out := make([]im.Conversation, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if b[0].MsgTime > a[0].MsgTime {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}
