package group

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// The client side of membership: applying to join (rest-groups.md S2's
// "join by exact group-ID search + apply", by the group's ApplyJoinOption),
// deciding applications, and quitting. Invitations are AddMembers with the
// inviting user as operator; live groups are entered with CheckJoin.

// Limits of applications.
const (
	// MaxApplyMsgBytes bounds an application's message and a rejection's
	// reason (the vendor documents none).
	MaxApplyMsgBytes = 300
	// MaxApplicationPage bounds one page of pending applications.
	MaxApplicationPage = 100
)

// Outcomes of Apply.
const (
	ApplyJoined  = "Joined"  // the user is a member now
	ApplyPending = "Pending" // the owner or an admin must approve
)

// Apply is a user's request to join a stored group: it joins at once when
// the group's ApplyJoinOption is FreeAccess, and leaves an application
// for the owner and admins when it is NeedPermission. Work groups (which
// take invitations only), DisableApply groups and live groups (entered
// with join_group) refuse with 10007.
func (s *Service) Apply(ctx context.Context, app *config.App, userID, groupID, msg string, now time.Time) (string, error) {
	if len(msg) > MaxApplyMsgBytes {
		return "", im.Errorf(im.CodeGroupBadParam, "ApplyMsg is over %d bytes", MaxApplyMsgBytes)
	}
	g, err := s.Get(ctx, app.SDKAppID, groupID)
	if err != nil {
		return "", err
	}
	switch {
	case g.Type == im.GroupAVChatRoom:
		return "", im.Errorf(im.CodeGroupNotAllowed, "group %s is an AVChatRoom: enter it with join_group", g.ID)
	case g.Type == im.GroupPrivate:
		return "", im.Errorf(im.CodeGroupNotAllowed, "group %s is a Work group: its members invite, nobody applies", g.ID)
	case g.ApplyJoinOption == DisableApply:
		return "", im.Errorf(im.CodeGroupNotAllowed, "group %s takes no applications (DisableApply)", g.ID)
	}
	if err := s.hooks.BeforeApply(ctx, g, userID); err != nil {
		return "", err
	}
	if g.ApplyJoinOption != NeedPermission {
		results, added, err := s.join(ctx, app, g, []im.Member{newMember(g, userID, im.RoleMember, now.Unix())}, nil, s.store.AddMembers)
		s.reportJoin(ctx, g, userID, added, false, err)
		if err != nil {
			return "", err
		}
		if len(added) == 0 && results[0].Result == ResultAlready {
			return "", alreadyMember(userID, g)
		}
		ev := MemberJoined{Type: EventMemberJoined, GroupId: g.ID, Operator_Account: userID, Members_Account: added, JoinType: JoinApplied}
		s.notify(EventMemberJoined, g.ID, func(n Notifier) error { return n.MembersJoined(ctx, g.AppID, g.ID, added, ev) })
		return ApplyJoined, nil
	}
	// Checked now as well as at approval, so a hopeless application fails
	// at once.
	if err := s.checkJoinable(ctx, app, g, userID); err != nil {
		s.reportJoin(ctx, g, userID, nil, false, err)
		return "", err
	}
	a := im.Application{UserID: userID, Message: msg, Time: now.Unix()}
	err = s.store.PutApplication(ctx, g.AppID, g.ID, a)
	if errors.Is(err, im.ErrNotFound) {
		return "", im.Errorf(im.CodeGroupNotFound, "group %s does not exist", g.ID)
	}
	if err != nil {
		return "", fmt.Errorf("group: apply to %s: %w", g.ID, err)
	}
	ev := JoinApplication{Type: EventJoinApplication, GroupId: g.ID, Applicant_Account: userID, ApplyMsg: msg, ApplyTime: a.Time}
	s.notifyUsers(ctx, g, EventJoinApplication, nil, ev)
	return ApplyPending, nil
}

func alreadyMember(userID string, g *im.Group) error {
	return im.Errorf(im.CodeGroupAlreadyMember, "%s is already a member of group %s", userID, g.ID)
}

// checkJoinable answers what joining g would: 10013 for a member, 10037
// for a user at their group limit, 10014 for a full group.
func (s *Service) checkJoinable(ctx context.Context, app *config.App, g *im.Group, userID string) error {
	members, err := s.store.GetMembers(ctx, g.AppID, g.ID, []string{userID})
	if err != nil {
		return fmt.Errorf("group: join %s: %w", g.ID, err)
	}
	if _, ok := members[userID]; ok {
		return alreadyMember(userID, g)
	}
	counts, err := s.store.CountJoinedGroupsOf(ctx, g.AppID, []string{userID})
	if err != nil {
		return fmt.Errorf("group: join %s: %w", g.ID, err)
	}
	if counts[userID] >= app.JoinedGroups() {
		return im.Errorf(im.CodeGroupJoinLimit, "%s already belongs to %d groups", userID, counts[userID])
	}
	if g.MaxMemberNum > 0 && g.MemberNum >= g.MaxMemberNum {
		return groupFull(g, 1)
	}
	return nil
}

// notifyUsers puts ev in the own streams of the group's approvers (its
// owner and admins) and of the listed users.
func (s *Service) notifyUsers(ctx context.Context, g *im.Group, what string, users []string, ev any) {
	s.notify(what, g.ID, func(n Notifier) error {
		page, err := s.store.PageMembers(ctx, g.AppID, g.ID, im.MemberQuery{Roles: []string{im.RoleOwner, im.RoleAdmin}})
		if err != nil {
			return fmt.Errorf("group: approvers of %s: %w", g.ID, err)
		}
		for _, m := range page.Members {
			if !contains(users, m.UserID) {
				users = append(users, m.UserID)
			}
		}
		if len(users) == 0 {
			return nil
		}
		return n.UsersEvent(ctx, g.AppID, users, ev)
	})
}

// Applications is one page of a group's pending applications, oldest
// first, for its owner and admins; next is the offset of the following
// page, 0 on the last.
func (s *Service) Applications(ctx context.Context, appID uint64, by Operator, groupID string, offset, limit int) ([]im.Application, int, error) {
	if offset < 0 || limit < 0 || limit > MaxApplicationPage {
		return nil, 0, im.Errorf(im.CodeGroupBadParam, "Offset must not be negative and Limit must be 0 to %d", MaxApplicationPage)
	}
	if limit == 0 {
		limit = MaxApplicationPage
	}
	g, err := s.Get(ctx, appID, groupID)
	if err != nil {
		return nil, 0, err
	}
	if err := s.authorize(ctx, actApprove, g, by); err != nil {
		return nil, 0, err
	}
	// One extra row tells whether another page exists without a count.
	list, err := s.store.ListApplications(ctx, appID, g.ID, offset, limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("group: applications of %s: %w", g.ID, err)
	}
	if len(list) > limit {
		return list[:limit], offset + limit, nil
	}
	return list, 0, nil
}

// Decide approves or rejects userID's pending application to a group; the
// owner and admins may. An approved applicant joins as a Member, with the
// checks of a join. The applicant and the approvers are told the
// decision; 10024 when there is no application (any more).
func (s *Service) Decide(ctx context.Context, app *config.App, by Operator, groupID, userID string, approve bool, reason string, now time.Time) error {
	if userID == "" {
		return &im.Error{Code: im.CodeGroupBadParam, Info: "Applicant_Account is required"}
	}
	if len(reason) > MaxApplyMsgBytes {
		return im.Errorf(im.CodeGroupBadParam, "Reason is over %d bytes", MaxApplyMsgBytes)
	}
	g, err := s.Get(ctx, app.SDKAppID, groupID)
	if err != nil {
		return err
	}
	if err := s.authorize(ctx, actApprove, g, by); err != nil {
		return err
	}
	handled := func() error {
		return im.Errorf(im.CodeGroupRequestHandled, "%s has no pending application to group %s: it was handled already", userID, g.ID)
	}
	if _, err := s.store.GetApplication(ctx, g.AppID, g.ID, userID); errors.Is(err, im.ErrNotFound) {
		return handled()
	} else if err != nil {
		return fmt.Errorf("group: application to %s: %w", g.ID, err)
	}
	ev := JoinApplicationHandled{Type: EventJoinApplicationHandled, GroupId: g.ID, Operator_Account: by.UserID,
		Applicant_Account: userID, Decision: DecisionRejected, Reason: reason}
	if !approve {
		err := s.store.DeleteApplication(ctx, g.AppID, g.ID, userID)
		if errors.Is(err, im.ErrNotFound) {
			return handled()
		}
		if err != nil {
			return fmt.Errorf("group: reject application to %s: %w", g.ID, err)
		}
		s.notifyUsers(ctx, g, EventJoinApplicationHandled, []string{userID}, ev)
		return nil
	}
	approveOne := func(ctx context.Context, appID uint64, groupID string, ms []im.Member) ([]string, error) {
		added, err := s.store.ApproveApplication(ctx, appID, groupID, ms[0])
		switch {
		case errors.Is(err, im.ErrNotFound):
			return nil, handled()
		case err != nil || !added:
			return nil, err
		}
		return []string{ms[0].UserID}, nil
	}
	_, added, err := s.join(ctx, app, g, []im.Member{newMember(g, userID, im.RoleMember, now.Unix())}, nil, approveOne)
	s.reportJoin(ctx, g, by.UserID, added, false, err)
	if err != nil {
		return err
	}
	if len(added) == 0 {
		// A member with a stray application (they applied while being
		// added): it goes, there is nothing to approve.
		if err := s.store.DeleteApplication(ctx, g.AppID, g.ID, userID); err != nil && !errors.Is(err, im.ErrNotFound) {
			return fmt.Errorf("group: approve application to %s: %w", g.ID, err)
		}
		return alreadyMember(userID, g)
	}
	joined := MemberJoined{Type: EventMemberJoined, GroupId: g.ID, Operator_Account: by.UserID, Members_Account: added, JoinType: JoinApplied}
	s.notify(EventMemberJoined, g.ID, func(n Notifier) error { return n.MembersJoined(ctx, g.AppID, g.ID, added, joined) })
	ev.Decision = DecisionApproved
	s.notifyUsers(ctx, g, EventJoinApplicationHandled, []string{userID}, ev)
	return nil
}

// Quit ends a user's membership of a stored group from a client. The
// owner may quit only a Work group, which is then ownerless (10009
// otherwise); live groups are left with quit_group.
func (s *Service) Quit(ctx context.Context, appID uint64, userID, groupID string) error {
	g, err := s.Get(ctx, appID, groupID)
	if err != nil {
		return err
	}
	if g.Type == im.GroupAVChatRoom {
		return im.Errorf(im.CodeGroupNotAllowed, "group %s is an AVChatRoom: leave it with quit_group", g.ID)
	}
	role, err := s.operatorRole(ctx, g, Operator{UserID: userID})
	switch {
	case err != nil:
		return err
	case role == "":
		return im.Errorf(im.CodeGroupNotAllowed, "%s is not a member of group %s", userID, g.ID)
	case role == im.RoleOwner && g.Type != im.GroupPrivate:
		return im.Errorf(im.CodeGroupOwnerCannotQuit, "%s owns group %s: transfer the ownership (change_group_owner) or disband it", userID, g.ID)
	}
	removed, err := s.store.RemoveMembers(ctx, g.AppID, g.ID, []string{userID})
	if errors.Is(err, im.ErrNotFound) {
		return im.Errorf(im.CodeGroupNotFound, "group %s does not exist", g.ID)
	}
	if err != nil {
		return fmt.Errorf("group: quit %s: %w", g.ID, err)
	}
	if len(removed) == 0 {
		return nil // removed meanwhile, and told then
	}
	s.hooks.AfterLeave(ctx, g, userID, removed, false)
	var ev any = MemberQuit{Type: EventMemberQuit, GroupId: g.ID, Operator_Account: userID, Member_Account: userID}
	if !Active(g) {
		ev = nil
	}
	s.notify(EventMemberQuit, g.ID, func(n Notifier) error { return n.MembersLeft(ctx, g.AppID, g.ID, removed, ev) })
	return nil
}
