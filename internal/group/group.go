// Package group implements the group system of rest-groups.md: group
// lifecycle and profiles over the store, and live-group (AVChatRoom)
// presence, marks and bans over the live rooms of the gateway.
package group

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// Limits of groups (overview.md §7, rest-groups.md S3/S6/S7/S8). The
// limits an app may change are in config.App.
const (
	MaxGroupIDBytes      = 48
	MaxNameBytes         = 30
	MaxIntroBytes        = 240
	MaxNotificationBytes = 300
	MaxFaceURLBytes      = 100
	MaxNameCardBytes     = 50
	MaxInitialMembers    = 100
	MaxAppDefinedKeys    = 10
	MaxMemberDefinedKeys = 5
	MaxAppDefinedKey     = 16
	MaxAppDefinedValue   = 512
	MaxMemberDefinedVal  = 64

	// GeneratedPrefix starts every server-assigned group ID; custom IDs
	// must not use it, except communities, which must start with
	// CommunityPrefix.
	GeneratedPrefix = "@TGS#"
	CommunityPrefix = "@TGS#_"
)

// Apply-join options (rest-groups.md S5).
const (
	FreeAccess     = "FreeAccess"
	NeedPermission = "NeedPermission"
	DisableApply   = "DisableApply"
)

// Member receive options (rest-groups.md S5).
const (
	AcceptAndNotify = "AcceptAndNotify"
	AcceptNotNotify = "AcceptNotNotify"
	Discard         = "Discard"
)

// typeInfo is what differs between group types at creation; what each
// role may do is in rules (permission.go), member caps in config.App.
type typeInfo struct {
	// defaultMembers is MaxMemberNum when create_group gives none (the
	// client SDK's defaults, overview.md §7), bounded by the app's cap.
	defaultMembers int
	idInfix        string // after "@TGS#" in generated IDs
	msgFlag        string // default receive option of new members
}

var types = map[im.GroupType]typeInfo{
	im.GroupPrivate:    {defaultMembers: 200, idInfix: "2", msgFlag: AcceptAndNotify},
	im.GroupPublic:     {defaultMembers: 2000, idInfix: "2", msgFlag: AcceptAndNotify},
	im.GroupChatRoom:   {defaultMembers: 10000, idInfix: "2", msgFlag: AcceptNotNotify},
	im.GroupAVChatRoom: {defaultMembers: 0, idInfix: "a", msgFlag: AcceptNotNotify},
	im.GroupCommunity:  {defaultMembers: 100000, idInfix: "_@TGS#c", msgFlag: AcceptAndNotify},
}

// hasAdmins reports whether a group type has the Admin role.
func hasAdmins(t im.GroupType) bool {
	_, ok := rules[actSetAdmin].roles[t]
	return ok
}

// ParseType maps a wire type, including the product names Work and
// Meeting, to the stored legacy name.
func ParseType(s string) (im.GroupType, bool) {
	switch s {
	case "Work":
		return im.GroupPrivate, true
	case "Meeting":
		return im.GroupChatRoom, true
	}
	t := im.GroupType(s)
	_, ok := types[t]
	return t, ok
}

// Accounts tells which UserIDs are imported.
type Accounts interface {
	GetAccounts(ctx context.Context, appID uint64, userIDs []string) (map[string]im.Account, error)
}

// Service is the group domain.
type Service struct {
	store    im.GroupStore
	accounts Accounts
	rooms    LiveRooms
	delivery Delivery
	hooks    Hooks
	newID    func() string // random suffix of generated group and topic IDs
	types    *typeCache
}

// NewService returns the group service. rooms may be nil until the
// gateway is wired; live-group calls then see empty rooms. Events reach
// nobody until SetDelivery, callbacks nobody until SetHooks.
func NewService(store im.GroupStore, accounts Accounts, rooms LiveRooms) *Service {
	s := &Service{store: store, accounts: accounts, rooms: rooms, newID: randomSuffix, types: newTypeCache(time.Now)}
	s.SetDelivery(Delivery{})
	s.SetHooks(nil)
	return s
}

// randomSuffix draws 10 characters from the upper-case alphanumerics: 36^10
// IDs make a collision (retried anyway) practically impossible.
func randomSuffix() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// ValidGroupID reports whether id can name a group at all: 1-48 bytes of
// printable ASCII. An ID that passes but names nothing is 10010, one that
// fails is 10015.
func ValidGroupID(id string) bool {
	if len(id) == 0 || len(id) > MaxGroupIDBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// Get returns a group, answering 10004 for a missing ID, 10015 for an
// invalid one and 10010 for one that does not exist.
func (s *Service) Get(ctx context.Context, appID uint64, groupID string) (*im.Group, error) {
	if groupID == "" {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "GroupId is required"}
	}
	if !ValidGroupID(groupID) {
		return nil, im.Errorf(im.CodeGroupInvalidID, "group ID %q is invalid", groupID)
	}
	g, err := s.store.GetGroup(ctx, appID, groupID)
	if errors.Is(err, im.ErrNotFound) {
		return nil, im.Errorf(im.CodeGroupNotFound, "group %s does not exist", groupID)
	}
	if err != nil {
		return nil, fmt.Errorf("group: get %s: %w", groupID, err)
	}
	return g, nil
}

// Destroy disbands a group: its members are told, a live group's room is
// emptied.
func (s *Service) Destroy(ctx context.Context, app *config.App, by Operator, groupID string) error {
	g, err := s.Get(ctx, app.SDKAppID, groupID)
	if err != nil {
		return err
	}
	if err := s.authorize(ctx, actDestroy, g, by); err != nil {
		return err
	}
	// The disband callback lists the members (not a Community's), who are
	// gone once the group is.
	var members []im.Member
	if g.Type != im.GroupCommunity && g.Type != im.GroupAVChatRoom {
		if members, err = s.Members(ctx, g.AppID, g.ID); err != nil {
			return err
		}
	}
	err = s.store.DeleteGroup(ctx, g.AppID, groupID)
	if err == nil || errors.Is(err, im.ErrNotFound) {
		s.types.put(typeKey{g.AppID, groupID}, "")
	}
	if errors.Is(err, im.ErrNotFound) {
		return im.Errorf(im.CodeGroupNotFound, "group %s does not exist", groupID)
	}
	if err != nil {
		return fmt.Errorf("group: destroy %s: %w", groupID, err)
	}
	s.hooks.AfterDestroy(ctx, g, members)
	s.notify(EventGroupDismissed, groupID, func(n Notifier) error {
		return n.GroupDismissed(ctx, g.AppID, groupID, g.Type, GroupDismissed{Type: EventGroupDismissed, GroupId: groupID, Operator_Account: by.UserID})
	})
	// The notifier drops the room too; this also covers a server without
	// one, and a second drop is a no-op.
	if g.Type == im.GroupAVChatRoom && s.rooms != nil {
		if err := s.rooms.DropRoom(ctx, g.AppID, groupID); err != nil {
			return fmt.Errorf("group: destroy %s: empty room: %w", groupID, err)
		}
	}
	return nil
}

// Members returns a group's stored members.
func (s *Service) Members(ctx context.Context, appID uint64, groupID string) ([]im.Member, error) {
	m, err := s.store.ListMembers(ctx, appID, groupID)
	if err != nil {
		return nil, fmt.Errorf("group: members of %s: %w", groupID, err)
	}
	return m, nil
}

// List pages through the app's group IDs.
func (s *Service) List(ctx context.Context, appID uint64, t im.GroupType, next int64, limit int) (im.GroupPage, error) {
	page, err := s.store.ListGroupIDs(ctx, appID, t, next, limit)
	if err != nil {
		return im.GroupPage{}, fmt.Errorf("group: list: %w", err)
	}
	return page, nil
}

// Joined returns the groups a user is a stored member of.
func (s *Service) Joined(ctx context.Context, appID uint64, userID string) ([]im.JoinedGroup, error) {
	g, err := s.store.ListJoinedGroups(ctx, appID, userID)
	if err != nil {
		return nil, fmt.Errorf("group: joined by %s: %w", userID, err)
	}
	return g, nil
}

// Active reports whether members can see the group: a Work group stays
// invisible until its first message (rest-groups.md S2).
func Active(g *im.Group) bool {
	return g.Type != im.GroupPrivate || g.LastMsgTime > 0
}
