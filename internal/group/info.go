package group

import (
	"context"
	"errors"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// FeatureModifyInfo is the per-app switch of modify_group_base_info
// (10026).
const FeatureModifyInfo = "modify_group_base_info"

// Info returns a group for get_group_info. A live group's MemberNum is
// the number of users in its room: by S2 its members are its online users.
func (s *Service) Info(ctx context.Context, appID uint64, groupID string) (*im.Group, error) {
	g, err := s.Get(ctx, appID, groupID)
	if err != nil {
		return nil, err
	}
	if g.Type == im.GroupAVChatRoom && s.rooms != nil {
		g.MemberNum = s.rooms.Count(appID, groupID)
	}
	return g, nil
}

// Profile is a group's profile as a user sees it from a client: a Work
// group's is its members' only (10007 for others: it cannot be found by
// search, S2); other groups show their profile to anyone, and their
// AppDefinedData to their members (to anyone for a live group, whose
// members are whoever enters it).
func (s *Service) Profile(ctx context.Context, appID uint64, by Operator, groupID string) (*im.Group, error) {
	g, err := s.Info(ctx, appID, groupID)
	if err != nil {
		return nil, err
	}
	err = s.mayRead(ctx, g, by)
	switch {
	case im.CodeOf(err) == im.CodeGroupNotAllowed && g.Type != im.GroupPrivate:
		g.AppDefinedData = nil
	case err != nil:
		return nil, err
	}
	return g, nil
}

// OnlineMemberNum is million_group_open_http_svc/get_online_member_num:
// how many of the group's members are online now. Documented for every
// type; a live group counts its room.
func (s *Service) OnlineMemberNum(ctx context.Context, appID uint64, groupID string) (int, error) {
	t, err := s.groupType(ctx, appID, groupID)
	if err != nil {
		return 0, err
	}
	switch {
	case t == im.GroupAVChatRoom && s.rooms != nil:
		return s.rooms.Count(appID, groupID), nil
	case t != im.GroupAVChatRoom && s.delivery.Online != nil:
		return s.delivery.Online.GroupOnlineCount(appID, groupID), nil
	}
	return 0, nil
}

// InfoChange is modify_group_base_info: nil fields stay as they are;
// AppDefinedData sets the listed keys (a Value of "" deletes one).
type InfoChange struct {
	Name, Introduction, Notification, FaceURL *string
	MaxMemberNum                              *int
	ApplyJoinOption                           *string
	MuteAllMember                             *bool
	AppDefinedData                            []im.KV
}

// ModifyInfo is modify_group_base_info. Each call that changes something
// moves InfoSeq on by one and sets LastInfoTime; the members are told
// what changed.
func (s *Service) ModifyInfo(ctx context.Context, app *config.App, by Operator, groupID string, ch InfoChange, now time.Time) error {
	if !app.Enabled(FeatureModifyInfo) {
		return &im.Error{Code: im.CodeGroupCommandOff, Info: "modify_group_base_info is disabled for this app"}
	}
	if err := checkInfoChange(ch); err != nil {
		return err
	}
	g, err := s.Get(ctx, app.SDKAppID, groupID)
	if err != nil {
		return err
	}
	role, err := s.operatorRole(ctx, g, by)
	if err != nil {
		return err
	}
	if ch.Name != nil || ch.Introduction != nil || ch.Notification != nil || ch.FaceURL != nil {
		if err := allowed(actEditProfile, g, by, role, ""); err != nil {
			return err
		}
	}
	if ch.MaxMemberNum != nil || ch.ApplyJoinOption != nil || ch.MuteAllMember != nil || ch.AppDefinedData != nil {
		if err := allowed(actEditSettings, g, by, role, ""); err != nil {
			return err
		}
	}
	if ch.ApplyJoinOption != nil && (g.Type == im.GroupCommunity || g.Type == im.GroupPrivate) {
		return im.Errorf(im.CodeGroupNotAllowed, "a %s group takes no ApplyJoinOption", g.Type)
	}
	limit := app.MemberLimit(string(g.Type))
	var ev GroupInfoChanged
	updated, err := s.store.UpdateGroup(ctx, g.AppID, g.ID, func(g *im.Group) error {
		ev = GroupInfoChanged{}
		changed := false
		note := func(set bool, field func()) {
			if set {
				changed = true
				field()
			}
		}
		note(setIf(&g.Name, ch.Name), func() { ev.Name = ch.Name })
		note(setIf(&g.Introduction, ch.Introduction), func() { ev.Introduction = ch.Introduction })
		note(setIf(&g.Notification, ch.Notification), func() { ev.Notification = ch.Notification })
		note(setIf(&g.FaceURL, ch.FaceURL), func() { ev.FaceUrl = ch.FaceURL })
		if ch.MaxMemberNum != nil && g.Type != im.GroupAVChatRoom {
			// Bounded by the type's cap, as the spec says; a cap below
			// MemberNum keeps the members and takes no new ones.
			n := min(*ch.MaxMemberNum, limit)
			note(setIf(&g.MaxMemberNum, &n), func() { ev.MaxMemberNum = &n })
		}
		note(setIf(&g.ApplyJoinOption, ch.ApplyJoinOption), func() { ev.ApplyJoinOption = ch.ApplyJoinOption })
		note(setIf(&g.MuteAllMember, ch.MuteAllMember), func() { v := OnOff(g.MuteAllMember); ev.MuteAllMember = &v })
		if ch.AppDefinedData != nil {
			var err error
			if g.AppDefinedData, ev.AppDefinedData, err = mergeCustomData(g.AppDefinedData, ch.AppDefinedData, MaxAppDefinedKeys, "AppDefinedData"); err != nil {
				return err
			}
			changed = changed || ev.AppDefinedData != nil
		}
		if changed {
			g.InfoSeq++
			g.LastInfoTime = now.Unix()
		}
		return nil
	})
	switch {
	case errors.Is(err, im.ErrNotFound):
		return im.Errorf(im.CodeGroupNotFound, "group %s does not exist", groupID)
	case err != nil:
		return wireOr(err, "group: modify %s", groupID)
	}
	if updated.InfoSeq != g.InfoSeq {
		ev.Type, ev.GroupId, ev.Operator_Account, ev.InfoSeq = EventGroupInfoChanged, g.ID, by.UserID, updated.InfoSeq
		s.notify(EventGroupInfoChanged, g.ID, func(n Notifier) error { return n.GroupEvent(ctx, g.AppID, g.ID, ev) })
		if ev.Name != nil || ev.Introduction != nil || ev.Notification != nil || ev.FaceUrl != nil {
			s.hooks.AfterInfoChange(ctx, g, ev)
		}
	}
	return nil
}

func checkInfoChange(ch InfoChange) error {
	if ch.Name != nil && *ch.Name == "" {
		return &im.Error{Code: im.CodeGroupBadParam, Info: "Name must not be empty"}
	}
	if ch.MaxMemberNum != nil && *ch.MaxMemberNum <= 0 {
		return &im.Error{Code: im.CodeGroupBadParam, Info: "MaxMemberNum must be at least 1"}
	}
	if ch.ApplyJoinOption != nil && *ch.ApplyJoinOption == "" {
		return &im.Error{Code: im.CodeGroupBadParam, Info: "ApplyJoinOption must not be empty"}
	}
	if ch.ApplyJoinOption != nil {
		if err := checkApplyOption(*ch.ApplyJoinOption); err != nil {
			return err
		}
	}
	if err := checkProfileSizes(profileFields{Name: deref(ch.Name), Introduction: deref(ch.Introduction),
		Notification: deref(ch.Notification), FaceURL: deref(ch.FaceURL)}); err != nil {
		return err
	}
	return validateCustomData(ch.AppDefinedData, MaxAppDefinedKeys, MaxAppDefinedValue, "AppDefinedData")
}
