package im

import (
	"context"
	"errors"
)

// GroupType is a group's wire type name (rest-groups.md S2).
type GroupType string

// The five creatable group types, by the legacy names the wire carries.
const (
	GroupPrivate    GroupType = "Private"    // Work group
	GroupPublic     GroupType = "Public"     // Public group
	GroupChatRoom   GroupType = "ChatRoom"   // Meeting group
	GroupAVChatRoom GroupType = "AVChatRoom" // live group
	GroupCommunity  GroupType = "Community"  // community
)

// Member roles (rest-groups.md S4).
const (
	RoleOwner     = "Owner"
	RoleAdmin     = "Admin"
	RoleMember    = "Member"
	RoleNotMember = "NotMember"
)

// KV is one custom field (AppDefinedData / AppMemberDefinedData).
type KV struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// Group is a group's stored profile. MemberNum is derived by the store.
type Group struct {
	AppID           uint64
	ID              string
	Type            GroupType
	Name            string
	Introduction    string
	Notification    string
	FaceURL         string
	Owner           string // "" when ownerless
	CreateTime      int64
	InfoSeq         int64
	LastInfoTime    int64
	LastMsgTime     int64
	NextMsgSeq      int64
	EventSeq        int64 // the last EventSeq of the group's event stream
	MaxMemberNum    int
	ApplyJoinOption string
	MuteAllMember   bool
	SupportTopic    bool
	AppDefinedData  []KV
	MemberNum       int
}

// Member is one stored membership (rest-groups.md S7).
type Member struct {
	UserID               string
	Role                 string
	JoinTime             int64
	MsgSeq               int64
	MsgFlag              string
	LastSendMsgTime      int64
	MuteUntil            int64
	NameCard             string
	AppMemberDefinedData []KV
}

// JoinedGroup is a group seen from one member: the group and the
// member's own row in it.
type JoinedGroup struct {
	Group Group
	Self  Member
}

// GroupPage is one page of group IDs of an app.
type GroupPage struct {
	IDs   []string
	Total int
	// Next is the cursor of the following page, 0 when this page is the last.
	Next int64
}

// Ban is a live-group ban of one user.
type Ban struct {
	UserID      string
	Until       int64 // Unix seconds
	Description string
}

// ErrFull means a write would take a group past a limit: members past
// its MaxMemberNum, topics or counter keys past the cap the caller gave.
// Nothing was written.
var ErrFull = errors.New("full")

// GroupStore persists groups and everything that hangs on them: stored
// members and mutes, live-group bans, topics, custom attributes,
// counters and join applications. Every method of a group that does not
// exist writes nothing.
type GroupStore interface {
	MemberStore
	TopicStore
	GroupAttrStore
	CounterStore
	ApplicationStore

	// CreateGroup inserts g with its initial members atomically. It returns
	// ErrConflict when the app already has a group with g.ID.
	CreateGroup(ctx context.Context, g *Group, members []Member) error
	// GetGroup returns the group with MemberNum filled in, or ErrNotFound.
	GetGroup(ctx context.Context, appID uint64, groupID string) (*Group, error)
	// UpdateGroup runs apply on the group's current profile and stores the
	// profile fields apply changed (everything but ID, Type, Owner,
	// CreateTime, the message counters and MemberNum), in one transaction
	// that holds the group's row, so concurrent updates from any node see
	// each other. An error from apply rolls back and is returned wrapped.
	// It returns the stored group, or ErrNotFound.
	UpdateGroup(ctx context.Context, appID uint64, groupID string, apply func(g *Group) error) (*Group, error)
	// DeleteGroup removes the group and everything of it, or returns
	// ErrNotFound.
	DeleteGroup(ctx context.Context, appID uint64, groupID string) error
	// ListGroupIDs pages through the app's groups in creation order,
	// optionally of one type ("" = all). after is the cursor returned by the
	// previous page (0 for the first).
	ListGroupIDs(ctx context.Context, appID uint64, groupType GroupType, after int64, limit int) (GroupPage, error)
	// CountGroups returns how many groups of the given type the app holds
	// ("" = all types).
	CountGroups(ctx context.Context, appID uint64, groupType GroupType) (int, error)

	// BanMembers bans (or re-bans, replacing the end time) users from a group.
	BanMembers(ctx context.Context, appID uint64, groupID string, bans []Ban) error
	// UnbanMembers lifts bans; users that are not banned are ignored.
	UnbanMembers(ctx context.Context, appID uint64, groupID string, userIDs []string) error
	// ListBans pages through the bans still in force at now, ordered by
	// UserID, skipping offset of them.
	ListBans(ctx context.Context, appID uint64, groupID string, now int64, offset, limit int) ([]Ban, error)
	// BannedUntil returns the end of userID's ban in force at now, or 0.
	BannedUntil(ctx context.Context, appID uint64, groupID, userID string, now int64) (int64, error)
}
