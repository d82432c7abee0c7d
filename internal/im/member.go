package im

import "context"

// Mute is one user's mute in a group or in one of its topics: their sends
// are refused until Until (Unix seconds). Until 0 lifts it.
type Mute struct {
	UserID string
	Until  int64
}

// MemberQuery selects one page of a group's members.
type MemberQuery struct {
	// Roles keeps only members with one of these roles; empty keeps all.
	Roles []string
	// Cursor selects cursor paging: members in insertion order after the
	// position After (0 for the first page). Otherwise members come in
	// join order, skipping Offset of them.
	Cursor bool
	After  int64
	Offset int
	// Limit caps the page; 0 means no cap.
	Limit int
}

// MemberPage is one page of members.
type MemberPage struct {
	Members []Member
	// Next is, in cursor paging, the After of the following page, or 0
	// when this page is the last.
	Next int64
}

// MemberStore persists stored memberships (rest-groups.md S7) and mutes.
// Live groups (AVChatRoom) have mutes but no stored members.
type MemberStore interface {
	// ListMembers returns the stored members of a group in join order.
	ListMembers(ctx context.Context, appID uint64, groupID string) ([]Member, error)
	// GetMembers returns the stored memberships of the listed users in a
	// group, keyed by UserID: a point lookup, so a message send never reads
	// the whole member list. Users who are not members (and every user of a
	// group that does not exist) are absent from the map; that is not an
	// error.
	GetMembers(ctx context.Context, appID uint64, groupID string, userIDs []string) (map[string]Member, error)
	// PageMembers returns one page of a group's members. A group that does
	// not exist has none.
	PageMembers(ctx context.Context, appID uint64, groupID string, q MemberQuery) (MemberPage, error)
	// ListJoinedGroups returns every group userID is a stored member of, in
	// join order.
	ListJoinedGroups(ctx context.Context, appID uint64, userID string) ([]JoinedGroup, error)
	// ListJoinedGroupIDs returns the IDs of every group userID is a stored
	// member of, in join order, from one indexed query (the gateway's
	// subscriptions at login). AVChatRoom groups never appear: their
	// membership is not stored.
	ListJoinedGroupIDs(ctx context.Context, appID uint64, userID string) ([]string, error)
	// CountJoinedGroups returns how many groups userID is a stored member of.
	CountJoinedGroups(ctx context.Context, appID uint64, userID string) (int, error)
	// CountJoinedGroupsOf is CountJoinedGroups for many users in one query;
	// users in no group are absent from the map.
	CountJoinedGroupsOf(ctx context.Context, appID uint64, userIDs []string) (map[string]int, error)

	// AddMembers stores the listed members that are not members yet, in one
	// transaction, and returns their IDs in the order given. A new member's
	// MuteUntil is taken from their group-wide mute, if one is stored (a
	// mute outlives the membership); the rest of each Member is stored as
	// given. It returns ErrNotFound when the group does not exist, and
	// ErrFull, writing nothing, when the new members would take the group
	// past its MaxMemberNum (0 = no cap).
	AddMembers(ctx context.Context, appID uint64, groupID string, members []Member) ([]string, error)
	// RemoveMembers deletes the listed users' memberships and returns the
	// IDs of those that were members, in the order given. Removing the
	// owner leaves the group without one. Mutes stay.
	RemoveMembers(ctx context.Context, appID uint64, groupID string, userIDs []string) ([]string, error)
	// UpdateMember runs apply on a member's row and stores Role, MsgFlag,
	// NameCard, AppMemberDefinedData and MuteUntil as apply left them (a
	// changed MuteUntil is stored as the user's group-wide mute too), in one
	// transaction holding the row. An error from apply rolls back and is
	// returned wrapped. It returns the stored member, or ErrNotFound when
	// userID is not a member.
	UpdateMember(ctx context.Context, appID uint64, groupID, userID string, apply func(m *Member) error) (*Member, error)
	// ChangeOwner makes newOwner, who must be a member, the group's owner:
	// the group's Owner and the member's Role become theirs, the previous
	// owner (if a member) becomes a Member, and the profile's InfoSeq and
	// LastInfoTime (now) move on. It returns the previous owner ("" when
	// there was none), or ErrNotFound when the group does not exist or
	// newOwner is not a member.
	ChangeOwner(ctx context.Context, appID uint64, groupID, newOwner string, now int64) (string, error)

	// SetMutes stores mutes of a group (topicID "") or of one of its topics,
	// replacing earlier ones; a Mute with Until 0 lifts the user's. A
	// group-wide mute is mirrored onto the user's member row, if any. Mutes
	// ended by now are pruned. It returns ErrNotFound when the group does
	// not exist.
	SetMutes(ctx context.Context, appID uint64, groupID, topicID string, mutes []Mute, now int64) error
	// ListMutes returns the mutes of a group (topicID "") or of one topic
	// still in force at now, ordered by UserID.
	ListMutes(ctx context.Context, appID uint64, groupID, topicID string, now int64) ([]Mute, error)
	// MutedUntil returns the end of userID's mute in force at now in the
	// group (topicID "") or topic, or 0.
	MutedUntil(ctx context.Context, appID uint64, groupID, topicID, userID string, now int64) (int64, error)
}
