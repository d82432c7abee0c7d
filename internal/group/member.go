package group

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// Batch limits of the member commands (rest-groups.md, Group member
// management). Over a limit is 10005.
const (
	MaxAddMembers       = 300 // add_group_member
	MaxImportMembers    = 300 // import_group_member
	MaxDeleteMembers    = 100 // delete_group_member
	MaxRoleQueries      = 500 // get_role_in_group
	MaxSpecifiedMembers = 50  // get_specified_group_member_info

	// FeatureAddMembers is the per-app switch of add_group_member (10026).
	FeatureAddMembers = "add_group_member"
)

// Per-user results of add_group_member and import_group_member.
const (
	ResultFailed  = 0
	ResultAdded   = 1
	ResultAlready = 2
)

// MemberResult is the outcome of adding or importing one user.
type MemberResult struct {
	UserID string
	Result int
}

// checkBatch checks the size of a list of UserIDs: 1 to limit (10005 over
// it), no empty ID.
func checkBatch(ids []string, limit int, field string) error {
	if len(ids) > limit {
		return im.Errorf(im.CodeGroupTooMany, "%s has %d entries, at most %d", field, len(ids), limit)
	}
	if len(ids) == 0 {
		return im.Errorf(im.CodeGroupBadParam, "%s is required", field)
	}
	for _, id := range ids {
		if id == "" {
			return im.Errorf(im.CodeGroupBadParam, "%s holds an empty UserID", field)
		}
	}
	return nil
}

// storedGroup returns a group whose members are stored: 10007 for a live
// group, whose membership is only its online users.
func (s *Service) storedGroup(ctx context.Context, appID uint64, groupID string) (*im.Group, error) {
	g, err := s.Get(ctx, appID, groupID)
	if err != nil {
		return nil, err
	}
	if g.Type == im.GroupAVChatRoom {
		return nil, im.Errorf(im.CodeGroupNotAllowed, "group %s is an AVChatRoom: it keeps no member list", groupID)
	}
	return g, nil
}

// newMember is the row of a user joining g now.
func newMember(g *im.Group, userID, role string, joined int64) im.Member {
	return im.Member{UserID: userID, Role: role, JoinTime: joined, MsgFlag: types[g.Type].msgFlag, MsgSeq: max(g.NextMsgSeq-1, 0)}
}

// AddMembers is add_group_member, and a member's invitation from a
// client: the users join at once as Members. Users already in the group
// are reported as such; users at their joined-group limit fail alone, and
// the whole call fails with 10037 only when that left nobody to add.
func (s *Service) AddMembers(ctx context.Context, app *config.App, by Operator, groupID string, userIDs []string, silent bool, now time.Time) ([]MemberResult, error) {
	if !app.Enabled(FeatureAddMembers) {
		return nil, &im.Error{Code: im.CodeGroupCommandOff, Info: "add_group_member is disabled for this app"}
	}
	if err := checkBatch(userIDs, MaxAddMembers, "MemberList"); err != nil {
		return nil, err
	}
	g, err := s.Get(ctx, app.SDKAppID, groupID)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, actInvite, g, by); err != nil {
		return nil, err
	}
	if err := s.checkAccounts(ctx, g.AppID, userIDs); err != nil {
		return nil, err
	}
	refused, err := s.hooks.BeforeInvite(ctx, by, g, userIDs)
	if err != nil {
		return nil, err
	}
	rows := make([]im.Member, len(userIDs))
	invalid := map[int]bool{}
	for i, id := range userIDs {
		rows[i] = newMember(g, id, im.RoleMember, now.Unix())
		invalid[i] = slices.Contains(refused, id)
	}
	results, added, err := s.join(ctx, app, g, rows, invalid, s.store.AddMembers)
	s.reportJoin(ctx, g, by.UserID, added, true, err)
	if err != nil {
		return nil, err
	}
	var ev any = MemberJoined{Type: EventMemberJoined, GroupId: g.ID, Operator_Account: by.UserID, Members_Account: added, JoinType: JoinInvited}
	if silent || !Active(g) {
		ev = nil
	}
	if len(added) > 0 {
		s.notify(EventMemberJoined, g.ID, func(n Notifier) error { return n.MembersJoined(ctx, g.AppID, g.ID, added, ev) })
	}
	return results, nil
}

// addFunc stores new members: the store's AddMembers, or an approval.
type addFunc func(ctx context.Context, appID uint64, groupID string, members []im.Member) ([]string, error)

// join stores the rows of users joining g (one per user, in request
// order, repeats allowed) with add, and returns each row's result and the
// users added. The rows whose index is in invalid fail. Users at their
// joined-group limit fail; 10037 when that left nobody to add; 10014 when
// the group cannot take everybody else.
func (s *Service) join(ctx context.Context, app *config.App, g *im.Group, rows []im.Member, invalid map[int]bool, add addFunc) ([]MemberResult, []string, error) {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.UserID
	}
	existing, err := s.store.GetMembers(ctx, g.AppID, g.ID, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("group: join %s: %w", g.ID, err)
	}
	counts, err := s.store.CountJoinedGroupsOf(ctx, g.AppID, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("group: join %s: %w", g.ID, err)
	}
	results := make([]MemberResult, len(rows))
	var candidates []im.Member
	limited, seen := false, map[string]bool{}
	for i, r := range rows {
		results[i] = MemberResult{UserID: r.UserID, Result: ResultFailed}
		switch _, member := existing[r.UserID]; {
		case member:
			results[i].Result = ResultAlready
		case invalid[i]:
		case counts[r.UserID] >= app.JoinedGroups():
			limited = true
		case !seen[r.UserID]:
			seen[r.UserID] = true
			candidates = append(candidates, r)
		}
	}
	if len(candidates) == 0 && limited {
		return nil, nil, im.Errorf(im.CodeGroupJoinLimit, "the users have reached their limit of %d groups", app.JoinedGroups())
	}
	if len(candidates) == 0 {
		return results, nil, nil
	}
	if g.MaxMemberNum > 0 && g.MemberNum+len(candidates) > g.MaxMemberNum {
		return nil, nil, groupFull(g, len(candidates))
	}
	added, err := add(ctx, g.AppID, g.ID, candidates)
	switch {
	case errors.Is(err, im.ErrFull):
		return nil, nil, groupFull(g, len(candidates))
	case errors.Is(err, im.ErrNotFound):
		return nil, nil, im.Errorf(im.CodeGroupNotFound, "group %s does not exist", g.ID)
	case err != nil:
		return nil, nil, wireOr(err, "group: join %s", g.ID)
	}
	done := map[string]bool{}
	for _, id := range added {
		done[id] = true
	}
	for i, r := range rows {
		switch {
		case done[r.UserID]:
			results[i].Result = ResultAdded
		case seen[r.UserID]:
			results[i].Result = ResultAlready // joined meanwhile
		}
	}
	return results, added, nil
}

func groupFull(g *im.Group, n int) error {
	return im.Errorf(im.CodeGroupFull, "group %s cannot take %d more members: it has %d of at most %d", g.ID, n, g.MemberNum, g.MaxMemberNum)
}

// ImportMember is one entry of import_group_member.
type ImportMember struct {
	UserID string
	Role   string // "" or Member, or Admin
	// JoinTime is the original join time, 0 for now.
	JoinTime int64
	// Unread is how many of the group's messages the member has not read
	// (at most the group's message count), nil for none.
	Unread *int64
}

// ImportMembers is import_group_member: memberships migrated from another
// system, silently. An entry whose JoinTime is not between the group's
// creation and now fails alone.
func (s *Service) ImportMembers(ctx context.Context, app *config.App, groupID string, entries []ImportMember, now time.Time) ([]MemberResult, error) {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.UserID
	}
	if err := checkBatch(ids, MaxImportMembers, "MemberList"); err != nil {
		return nil, err
	}
	g, err := s.storedGroup(ctx, app.SDKAppID, groupID)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		switch {
		case e.Role != "" && e.Role != im.RoleMember && e.Role != im.RoleAdmin:
			return nil, im.Errorf(im.CodeGroupBadParam, "MemberList.Role may only be Admin or Member, got %q", e.Role)
		case e.Role == im.RoleAdmin && !hasAdmins(g.Type):
			return nil, im.Errorf(im.CodeGroupBadParam, "a %s group has no admins", g.Type)
		case e.Unread != nil && *e.Unread < 0:
			return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "MemberList.UnreadMsgNum must not be negative"}
		}
	}
	if err := s.checkAccounts(ctx, g.AppID, ids); err != nil {
		return nil, err
	}
	last := max(g.NextMsgSeq-1, 0)
	rows := make([]im.Member, len(entries))
	invalid := map[int]bool{}
	for i, e := range entries {
		role := e.Role
		if role == "" {
			role = im.RoleMember
		}
		joined := e.JoinTime
		if joined == 0 {
			joined = now.Unix()
		}
		rows[i] = newMember(g, e.UserID, role, joined)
		invalid[i] = joined < g.CreateTime || joined > now.Unix()
		if e.Unread != nil {
			rows[i].MsgSeq = last - min(*e.Unread, last)
		}
	}
	results, added, err := s.join(ctx, app, g, rows, invalid, s.store.AddMembers)
	if err != nil {
		return nil, err
	}
	if len(added) > 0 {
		s.notify(EventMemberJoined, g.ID, func(n Notifier) error { return n.MembersJoined(ctx, g.AppID, g.ID, added, nil) })
	}
	return results, nil
}

// RemoveMembers is delete_group_member, and a kick from a client. Users
// who are not members are ignored. Removing the owner leaves the group
// without one. Unless silent, the group is told; the removed users always
// are.
func (s *Service) RemoveMembers(ctx context.Context, app *config.App, by Operator, groupID string, userIDs []string, reason string, silent bool) error {
	if err := checkBatch(userIDs, MaxDeleteMembers, "MemberToDel_Account"); err != nil {
		return err
	}
	g, err := s.Get(ctx, app.SDKAppID, groupID)
	if err != nil {
		return err
	}
	if err := supports(actKick, g); err != nil {
		return err
	}
	if err := s.authorizeOn(ctx, actKick, g, by, userIDs); err != nil {
		return err
	}
	removed, err := s.store.RemoveMembers(ctx, g.AppID, g.ID, userIDs)
	if errors.Is(err, im.ErrNotFound) {
		return im.Errorf(im.CodeGroupNotFound, "group %s does not exist", g.ID)
	}
	if err != nil {
		return fmt.Errorf("group: remove from %s: %w", g.ID, err)
	}
	if len(removed) == 0 {
		return nil
	}
	s.hooks.AfterLeave(ctx, g, by.UserID, removed, true)
	ev := MemberKicked{Type: EventMemberKicked, GroupId: g.ID, Operator_Account: by.UserID, Members_Account: removed, Reason: reason}
	s.notify(EventMemberKicked, g.ID, func(n Notifier) error {
		if !Active(g) {
			return n.MembersLeft(ctx, g.AppID, g.ID, removed, nil)
		}
		if !silent {
			return n.MembersLeft(ctx, g.AppID, g.ID, removed, ev)
		}
		if err := n.UsersEvent(ctx, g.AppID, removed, ev); err != nil {
			return err
		}
		return n.MembersLeft(ctx, g.AppID, g.ID, removed, nil)
	})
	return nil
}

// Roles is get_role_in_group: each user's role, NotMember for users
// outside the group, in the order asked.
func (s *Service) Roles(ctx context.Context, appID uint64, groupID string, userIDs []string) ([]string, error) {
	if err := checkBatch(userIDs, MaxRoleQueries, "User_Account"); err != nil {
		return nil, err
	}
	g, err := s.storedGroup(ctx, appID, groupID)
	if err != nil {
		return nil, err
	}
	members, err := s.store.GetMembers(ctx, appID, g.ID, userIDs)
	if err != nil {
		return nil, fmt.Errorf("group: roles in %s: %w", g.ID, err)
	}
	roles := make([]string, len(userIDs))
	for i, id := range userIDs {
		roles[i] = im.RoleNotMember
		if m, ok := members[id]; ok {
			roles[i] = m.Role
		}
	}
	return roles, nil
}

// MemberQuery is get_group_member_info's paging: offset paging for every
// type but Community, cursor paging (Next) for Community.
type MemberQuery struct {
	Roles  []string
	Limit  *int
	Offset *int
	Next   string
}

// Paging limits of get_group_member_info.
const (
	MaxMemberPage       = 6000 // offset paging (the field table's absolute ceiling)
	MaxMemberCursorPage = 100  // cursor paging (Community)
)

// checkRoles checks a MemberRoleFilter.
func checkRoles(roles []string) error {
	for _, r := range roles {
		if r != im.RoleOwner && r != im.RoleAdmin && r != im.RoleMember {
			return im.Errorf(im.CodeGroupBadParam, "MemberRoleFilter value %q is not Owner, Admin or Member", r)
		}
	}
	return nil
}

// MemberPage is one page of get_group_member_info, with the group (for
// MemberNum) and the cursor of the next page ("" at the end; Community
// only). MuteUntil is 0 for members whose mute has ended. Users read the
// members of their own groups only.
func (s *Service) MemberPage(ctx context.Context, appID uint64, by Operator, groupID string, q MemberQuery, now time.Time) (*im.Group, []im.Member, string, error) {
	if err := checkRoles(q.Roles); err != nil {
		return nil, nil, "", err
	}
	g, err := s.storedGroup(ctx, appID, groupID)
	if err != nil {
		return nil, nil, "", err
	}
	if err := s.mayRead(ctx, g, by); err != nil {
		return nil, nil, "", err
	}
	sq := im.MemberQuery{Roles: q.Roles}
	if g.Type == im.GroupCommunity {
		sq.Cursor, sq.Limit = true, MaxMemberCursorPage
		if q.Offset != nil {
			return nil, nil, "", &im.Error{Code: im.CodeGroupBadParam, Info: "a Community pages with Next, not Offset"}
		}
		if q.Limit != nil && (*q.Limit <= 0 || *q.Limit > MaxMemberCursorPage) {
			return nil, nil, "", im.Errorf(im.CodeGroupBadParam, "Limit must be 1 to %d for a Community", MaxMemberCursorPage)
		}
		if q.Limit != nil {
			sq.Limit = *q.Limit
		}
		if q.Next != "" {
			if _, err := fmt.Sscan(q.Next, &sq.After); err != nil || sq.After < 0 || fmt.Sprint(sq.After) != q.Next {
				return nil, nil, "", im.Errorf(im.CodeGroupBadParam, "Next %q is not a cursor this server returned", q.Next)
			}
		}
	} else {
		if q.Limit != nil && (*q.Limit <= 0 || *q.Limit > MaxMemberPage) {
			return nil, nil, "", im.Errorf(im.CodeGroupBadParam, "Limit must be 1 to %d", MaxMemberPage)
		}
		if q.Offset != nil && *q.Offset < 0 {
			return nil, nil, "", &im.Error{Code: im.CodeGroupBadParam, Info: "Offset must not be negative"}
		}
		if q.Limit != nil {
			sq.Limit = *q.Limit
		}
		if q.Offset != nil {
			sq.Offset = *q.Offset
		}
	}
	page, err := s.store.PageMembers(ctx, appID, g.ID, sq)
	if err != nil {
		return nil, nil, "", fmt.Errorf("group: members of %s: %w", g.ID, err)
	}
	next := ""
	if page.Next > 0 {
		next = fmt.Sprint(page.Next)
	}
	return g, ActiveMutes(page.Members, now), next, nil
}

// SpecifiedMembers is get_specified_group_member_info: the listed users
// who are members (with one of roles, when given), in the order asked.
// Users read the members of their own groups only.
func (s *Service) SpecifiedMembers(ctx context.Context, appID uint64, by Operator, groupID string, userIDs, roles []string, now time.Time) ([]im.Member, error) {
	if err := checkBatch(userIDs, MaxSpecifiedMembers, "Member_List_Account"); err != nil {
		return nil, err
	}
	if err := checkRoles(roles); err != nil {
		return nil, err
	}
	g, err := s.storedGroup(ctx, appID, groupID)
	if err != nil {
		return nil, err
	}
	if err := s.mayRead(ctx, g, by); err != nil {
		return nil, err
	}
	found, err := s.store.GetMembers(ctx, appID, g.ID, userIDs)
	if err != nil {
		return nil, fmt.Errorf("group: members of %s: %w", g.ID, err)
	}
	var out []im.Member
	for _, id := range userIDs {
		m, ok := found[id]
		if !ok || len(roles) > 0 && !contains(roles, m.Role) {
			continue
		}
		delete(found, id) // a user listed twice is answered once
		out = append(out, m)
	}
	return ActiveMutes(out, now), nil
}

// ActiveMutes zeroes the MuteUntil of members whose mute has ended, as
// S7 reports them.
func ActiveMutes(members []im.Member, now time.Time) []im.Member {
	for i := range members {
		if members[i].MuteUntil <= now.Unix() {
			members[i].MuteUntil = 0
		}
	}
	return members
}

// MemberChange is modify_group_member_info: nil fields stay as they are.
type MemberChange struct {
	Role                 *string
	MsgFlag              *string
	NameCard             *string
	AppMemberDefinedData []im.KV
	// MuteTime mutes for this many seconds from now; 0 unmutes.
	MuteTime *int64
}

// MaxMuteSeconds is the longest mute, the vendor's "permanent" (unsigned
// 32-bit seconds).
const MaxMuteSeconds = math.MaxUint32

// ModifyMember is modify_group_member_info.
func (s *Service) ModifyMember(ctx context.Context, app *config.App, by Operator, groupID, userID string, ch MemberChange, now time.Time) error {
	if userID == "" {
		return &im.Error{Code: im.CodeGroupBadParam, Info: "Member_Account is required"}
	}
	if err := checkMemberChange(ch); err != nil {
		return err
	}
	g, err := s.storedGroup(ctx, app.SDKAppID, groupID)
	if err != nil {
		return err
	}
	members, err := s.store.GetMembers(ctx, g.AppID, g.ID, []string{by.UserID, userID})
	if err != nil {
		return fmt.Errorf("group: modify member of %s: %w", g.ID, err)
	}
	target, ok := members[userID]
	if !ok {
		return im.Errorf(im.CodeGroupNotAllowed, "%s is not a member of group %s", userID, g.ID)
	}
	if err := s.checkMemberPermission(g, by, members[by.UserID].Role, target, ch); err != nil {
		return err
	}
	var changed MemberInfoChanged
	m, err := s.store.UpdateMember(ctx, g.AppID, g.ID, userID, func(m *im.Member) error {
		changed = MemberInfoChanged{}
		if ch.Role != nil && *ch.Role != m.Role {
			if m.Role == im.RoleOwner {
				return im.Errorf(im.CodeGroupNotAllowed, "%s is the owner: change the owner with change_group_owner", userID)
			}
			m.Role, changed.Role = *ch.Role, ch.Role
		}
		if ch.MsgFlag != nil && *ch.MsgFlag != m.MsgFlag {
			m.MsgFlag, changed.MsgFlag = *ch.MsgFlag, ch.MsgFlag
		}
		if ch.NameCard != nil && *ch.NameCard != m.NameCard {
			m.NameCard, changed.NameCard = *ch.NameCard, ch.NameCard
		}
		if ch.AppMemberDefinedData != nil {
			var err error
			m.AppMemberDefinedData, changed.AppMemberDefinedData, err = mergeCustomData(m.AppMemberDefinedData,
				ch.AppMemberDefinedData, MaxMemberDefinedKeys, "AppMemberDefinedData")
			if err != nil {
				return err
			}
		}
		if ch.MuteTime != nil {
			m.MuteUntil = muteEnd(*ch.MuteTime, now)
		}
		return nil
	})
	switch {
	case errors.Is(err, im.ErrNotFound):
		return im.Errorf(im.CodeGroupNotAllowed, "%s is not a member of group %s", userID, g.ID)
	case err != nil:
		return wireOr(err, "group: modify member of %s", g.ID)
	}
	if changed.Role != nil || changed.MsgFlag != nil || changed.NameCard != nil || changed.AppMemberDefinedData != nil {
		changed.Type, changed.GroupId, changed.Operator_Account, changed.Member_Account = EventMemberInfoChanged, g.ID, by.UserID, userID
		s.notify(EventMemberInfoChanged, g.ID, func(n Notifier) error { return n.GroupEvent(ctx, g.AppID, g.ID, changed) })
	}
	if changed.Role != nil || changed.NameCard != nil {
		s.hooks.AfterMemberChange(ctx, g, changed)
	}
	if ch.MuteTime != nil {
		s.notifyMutes(ctx, g, "", by, []im.Mute{{UserID: userID, Until: m.MuteUntil}})
	}
	return nil
}

func checkMemberChange(ch MemberChange) error {
	switch {
	case ch.Role != nil && *ch.Role != im.RoleAdmin && *ch.Role != im.RoleMember:
		return im.Errorf(im.CodeGroupBadParam, "Role must be Admin or Member, got %q", *ch.Role)
	case ch.MsgFlag != nil && *ch.MsgFlag != AcceptAndNotify && *ch.MsgFlag != AcceptNotNotify && *ch.MsgFlag != Discard:
		return im.Errorf(im.CodeGroupBadParam, "MsgFlag %q is not one of AcceptAndNotify, AcceptNotNotify, Discard", *ch.MsgFlag)
	case ch.NameCard != nil && len(*ch.NameCard) > MaxNameCardBytes:
		return im.Errorf(im.CodeGroupBadParam, "NameCard is over %d bytes", MaxNameCardBytes)
	case ch.MuteTime != nil && (*ch.MuteTime < 0 || *ch.MuteTime > MaxMuteSeconds):
		return im.Errorf(im.CodeGroupBadParam, "MuteTime must be 0 to %d seconds", int64(MaxMuteSeconds))
	}
	return validateCustomData(ch.AppMemberDefinedData, MaxAppDefinedKeys, MaxMemberDefinedVal, "AppMemberDefinedData")
}

// checkMemberPermission checks each part of a member change: roles are
// the owner's to give, mutes follow the mute rule, and anything about
// another member needs a higher role; users may change their own NameCard,
// MsgFlag and custom fields.
func (s *Service) checkMemberPermission(g *im.Group, by Operator, role string, target im.Member, ch MemberChange) error {
	if ch.Role != nil {
		if err := allowed(actSetAdmin, g, by, role, ""); err != nil {
			return err
		}
	}
	if ch.MuteTime != nil {
		if err := allowed(actMute, g, by, role, target.Role); err != nil {
			return err
		}
	}
	other := ch.NameCard != nil || ch.AppMemberDefinedData != nil || ch.MsgFlag != nil
	if other && (by.Admin || by.UserID != target.UserID) {
		return allowed(actEditMember, g, by, role, target.Role)
	}
	return nil
}

// ChangeOwner is change_group_owner: newOwner, a member, becomes the
// owner; the previous owner becomes a Member.
func (s *Service) ChangeOwner(ctx context.Context, app *config.App, by Operator, groupID, newOwner string, now time.Time) error {
	if newOwner == "" {
		return &im.Error{Code: im.CodeGroupBadParam, Info: "NewOwner_Account is required"}
	}
	g, err := s.Get(ctx, app.SDKAppID, groupID)
	if err != nil {
		return err
	}
	if err := s.authorize(ctx, actChangeOwner, g, by); err != nil {
		return err
	}
	if g.Owner == newOwner {
		return nil
	}
	prev, err := s.store.ChangeOwner(ctx, g.AppID, g.ID, newOwner, now.Unix())
	if errors.Is(err, im.ErrNotFound) {
		return im.Errorf(im.CodeGroupNotAllowed, "%s is not a member of group %s", newOwner, g.ID)
	}
	if err != nil {
		return fmt.Errorf("group: change owner of %s: %w", g.ID, err)
	}
	ev := OwnerChanged{Type: EventOwnerChanged, GroupId: g.ID, Operator_Account: by.UserID, Owner_Account: newOwner, PreviousOwner_Account: prev}
	s.hooks.AfterOwnerChange(ctx, g, ev)
	s.notify(EventOwnerChanged, g.ID, func(n Notifier) error { return n.GroupEvent(ctx, g.AppID, g.ID, ev) })
	return nil
}

// wireOr returns err as it is when it carries a wire code (a check inside
// a store transaction), else wrapped as an internal error.
func wireOr(err error, format string, args ...any) error {
	var e *im.Error
	if errors.As(err, &e) {
		return e
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
