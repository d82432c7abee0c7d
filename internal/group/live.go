package group

import (
	"context"
	"fmt"
	"time"

	"github.com/chatd/chatd/internal/im"
)

// Live-group constants (rest-groups.md, Live group management).
const (
	// OnlinePageSize is get_members' page threshold (the newer revision's 250).
	OnlinePageSize = 250
	// MinOrdinaryMark is the smallest mark apps may define; 500 and 600
	// are the special marks.
	MinOrdinaryMark  = 1000
	MarkAlwaysOnline = 500
	MarkHidden       = 600
	MaxMarkMembers   = 500 // accounts per modify_user_info call
	MaxMarksPerGroup = 10  // distinct ordinary marks in one group
	MaxMarkHolders   = 1000
	MaxBanAccounts   = 20
	MaxBanReasonSize = 1000
	MaxBanPage       = 100

	// FeatureLiveBan is the per-app switch of ban/unban/get_group_ban_member.
	FeatureLiveBan = "live_ban"
)

// OnlineMember is one user online in a live room.
type OnlineMember struct {
	UserID   string
	JoinTime int64
	Marks    []int
}

// LiveRooms is who is online in which live room, across every node that
// serves the app. The gateway's presence provides it.
type LiveRooms interface {
	Count(appID uint64, groupID string) int
	Members(appID uint64, groupID string, mark int, cursor int64, limit int) ([]OnlineMember, int64)
	SetMarks(appID uint64, groupID, userID string, marks []int, add bool) bool
	// MarkCounts returns how many online members hold each mark.
	MarkCounts(appID uint64, groupID string) map[int]int
	// DropFromRoom removes a user from a room on every node (ban).
	DropFromRoom(ctx context.Context, appID uint64, groupID, userID string) error
	// DropRoom empties a room on every node (group disbanded).
	DropRoom(ctx context.Context, appID uint64, groupID string) error
}

// liveGroup checks that a group exists and is an AVChatRoom (10007
// otherwise). Live-group commands are the hot path (apps poll the online
// count of every room), so the answer comes from the type cache when it can.
func (s *Service) liveGroup(ctx context.Context, appID uint64, groupID string) error {
	t, err := s.groupType(ctx, appID, groupID)
	if err != nil {
		return err
	}
	if t != im.GroupAVChatRoom {
		return im.Errorf(im.CodeGroupNotAllowed, "group %s is a %s group; this command is for AVChatRoom only", groupID, t)
	}
	return nil
}

// OnlineCount is get_online_member_num: distinct users online in the room.
func (s *Service) OnlineCount(ctx context.Context, appID uint64, groupID string) (int, error) {
	if err := s.liveGroup(ctx, appID, groupID); err != nil {
		return 0, err
	}
	if s.rooms == nil {
		return 0, nil
	}
	return s.rooms.Count(appID, groupID), nil
}

// OnlineMembers is one page of get_members.
func (s *Service) OnlineMembers(ctx context.Context, appID uint64, groupID string, mark int, cursor int64) ([]OnlineMember, int64, error) {
	if err := s.liveGroup(ctx, appID, groupID); err != nil {
		return nil, 0, err
	}
	if s.rooms == nil {
		return nil, 0, nil
	}
	members, next := s.rooms.Members(appID, groupID, mark, cursor, OnlinePageSize)
	return members, next, nil
}

// MarkChange is the marks of one member in modify_user_info.
type MarkChange struct {
	UserID string
	Marks  []int
}

// SetMarks adds or removes marks on online members and returns the
// changes that applied; offline members are left out, and a call in
// which nobody was online fails.
func (s *Service) SetMarks(ctx context.Context, appID uint64, groupID string, add bool, changes []MarkChange) ([]MarkChange, error) {
	if len(changes) == 0 || len(changes) > MaxMarkMembers {
		return nil, im.Errorf(im.CodeGroupBadParam, "MemberList must hold 1 to %d accounts", MaxMarkMembers)
	}
	for _, c := range changes {
		if c.UserID == "" || len(c.Marks) == 0 {
			return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "each MemberList entry needs Member_Account and Marks"}
		}
		if !im.ValidUserID(c.UserID) {
			return nil, im.InvalidUserID(im.CodeGroupBadParam, "MemberList.Member_Account", c.UserID)
		}
		for _, m := range c.Marks {
			if m != MarkAlwaysOnline && m != MarkHidden && m < MinOrdinaryMark {
				return nil, im.Errorf(im.CodeGroupBadParam, "mark %d is invalid: marks are 500, 600 or >= %d", m, MinOrdinaryMark)
			}
		}
	}
	if err := s.liveGroup(ctx, appID, groupID); err != nil {
		return nil, err
	}
	if add && s.rooms != nil {
		if err := checkMarkLimits(s.rooms.MarkCounts(appID, groupID), changes); err != nil {
			return nil, err
		}
	}
	var applied []MarkChange
	for _, c := range changes {
		if s.rooms != nil && s.rooms.SetMarks(appID, groupID, c.UserID, c.Marks, add) {
			applied = append(applied, c)
		}
	}
	if len(applied) == 0 {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "none of the listed accounts is online in the group"}
	}
	return applied, nil
}

// checkMarkLimits refuses additions that would give the group more than
// MaxMarksPerGroup distinct ordinary marks or a mark more than
// MaxMarkHolders holders (rest-groups.md, modify_user_info). The vendor
// documents no code for either; chatd answers 10004.
func checkMarkLimits(counts map[int]int, changes []MarkChange) error {
	for _, c := range changes {
		for _, m := range c.Marks {
			counts[m]++
		}
	}
	distinct := 0
	for mark, n := range counts {
		if mark >= MinOrdinaryMark {
			distinct++
		}
		if n > MaxMarkHolders {
			return im.Errorf(im.CodeGroupBadParam, "mark %d would have more than %d holders", mark, MaxMarkHolders)
		}
	}
	if distinct > MaxMarksPerGroup {
		return im.Errorf(im.CodeGroupBadParam, "a group may use at most %d distinct marks", MaxMarksPerGroup)
	}
	return nil
}

// banGroup checks the live-ban switch and the group type.
func (s *Service) banGroup(ctx context.Context, featureOn bool, appID uint64, groupID string, users []string) error {
	if !featureOn {
		return &im.Error{Code: im.CodeGroupNotAllowed, Info: "live-group banning is not enabled for this app"}
	}
	if users != nil && (len(users) == 0 || len(users) > MaxBanAccounts) {
		code := im.CodeGroupBadParam
		if len(users) > MaxBanAccounts {
			code = im.CodeGroupTooMany
		}
		return im.Errorf(code, "Members_Account must hold 1 to %d accounts, got %d", MaxBanAccounts, len(users))
	}
	for _, u := range users {
		if !im.ValidUserID(u) {
			return im.InvalidUserID(im.CodeGroupBadParam, "Members_Account", u)
		}
	}
	return s.liveGroup(ctx, appID, groupID)
}

// Ban bans users from a live group for duration and drops them from the
// room everywhere, so they neither receive its messages nor rejoin.
func (s *Service) Ban(ctx context.Context, featureOn bool, appID uint64, groupID string, users []string, duration time.Duration, reason string, now time.Time) error {
	if err := s.banGroup(ctx, featureOn, appID, groupID, users); err != nil {
		return err
	}
	if len(reason) > MaxBanReasonSize {
		return im.Errorf(im.CodeGroupBadParam, "Description is over %d bytes", MaxBanReasonSize)
	}
	until := now.Add(duration).Unix()
	bans := make([]im.Ban, len(users))
	for i, u := range users {
		bans[i] = im.Ban{UserID: u, Until: until, Description: reason}
	}
	if err := s.store.BanMembers(ctx, appID, groupID, bans); err != nil {
		return fmt.Errorf("group: ban in %s: %w", groupID, err)
	}
	if s.rooms != nil {
		for _, u := range users {
			if err := s.rooms.DropFromRoom(ctx, appID, groupID, u); err != nil {
				return fmt.Errorf("group: ban %s: drop from room: %w", u, err)
			}
		}
	}
	return nil
}

// Unban lifts bans; users are not put back in the room.
func (s *Service) Unban(ctx context.Context, featureOn bool, appID uint64, groupID string, users []string) error {
	if err := s.banGroup(ctx, featureOn, appID, groupID, users); err != nil {
		return err
	}
	if err := s.store.UnbanMembers(ctx, appID, groupID, users); err != nil {
		return fmt.Errorf("group: unban in %s: %w", groupID, err)
	}
	return nil
}

// Bans is one page of get_group_ban_member; next is 0 on the last page.
func (s *Service) Bans(ctx context.Context, featureOn bool, appID uint64, groupID string, offset, limit int, now time.Time) ([]im.Ban, int, error) {
	if err := s.banGroup(ctx, featureOn, appID, groupID, nil); err != nil {
		return nil, 0, err
	}
	// One extra row tells whether another page exists without a count.
	bans, err := s.store.ListBans(ctx, appID, groupID, now.Unix(), offset, limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("group: bans of %s: %w", groupID, err)
	}
	if len(bans) > limit {
		return bans[:limit], offset + limit, nil
	}
	return bans, 0, nil
}

// CheckJoin decides whether a user may enter a live group from the
// client: not when banned, nor when its ApplyJoinOption is DisableApply
// (its owner still may). A live group keeps no member list to approve
// into, so NeedPermission lets everyone in, as FreeAccess does. Stored
// groups are joined with Apply.
func (s *Service) CheckJoin(ctx context.Context, appID uint64, groupID, userID string, now time.Time) error {
	g, err := s.Get(ctx, appID, groupID)
	if err != nil {
		return err
	}
	if g.Type != im.GroupAVChatRoom {
		return im.Errorf(im.CodeGroupNotAllowed, "group %s is a %s group: join it with apply_join_group; join_group enters live groups", groupID, g.Type)
	}
	if g.ApplyJoinOption == DisableApply && userID != g.Owner {
		return im.Errorf(im.CodeGroupNotAllowed, "group %s takes nobody new (DisableApply)", groupID)
	}
	until, err := s.BannedUntil(ctx, appID, groupID, userID, now)
	if err != nil {
		return err
	}
	if until > 0 {
		return im.Errorf(im.CodeGroupNotAllowed, "%s is banned from %s until %d", userID, groupID, until)
	}
	return s.hooks.BeforeApply(ctx, g, userID)
}

// BannedUntil is when userID's ban from groupID ends, 0 when not banned
// now.
func (s *Service) BannedUntil(ctx context.Context, appID uint64, groupID, userID string, now time.Time) (int64, error) {
	until, err := s.store.BannedUntil(ctx, appID, groupID, userID, now.Unix())
	if err != nil {
		return 0, fmt.Errorf("group: ban of %s in %s: %w", userID, groupID, err)
	}
	return until, nil
}
