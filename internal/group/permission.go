package group

import (
	"context"
	"fmt"

	"github.com/chatd/chatd/internal/im"
)

// Operator is who performs a group operation: an app admin (every REST
// call) or a user acting from a client.
type Operator struct {
	UserID string
	// Admin marks an app admin account, which has owner-level power over
	// every group whether or not it is a member (rest-groups.md S4).
	Admin bool
}

// AppAdmin is the operator of a REST call made by the admin identifier.
func AppAdmin(identifier string) Operator { return Operator{UserID: identifier, Admin: true} }

// action is an operation whose permission depends on the group type and
// the operator's role.
type action int

const (
	actEditProfile  action = iota // Name, Introduction, Notification, FaceUrl
	actEditSettings               // MaxMemberNum, ApplyJoinOption, MuteAllMember, AppDefinedData
	actInvite                     // add members
	actKick                       // remove members
	actMute                       // mute or unmute others
	actSetAdmin                   // appoint or revoke admins
	actEditMember                 // another member's NameCard, MsgFlag, custom fields
	actChangeOwner                // transfer ownership
	actDestroy                    // disband
	actTopics                     // create, change, delete topics
	actAttrs                      // write custom attributes
	actCounters                   // write counters
	actApprove                    // approve or reject join applications
)

// rule says who may perform an action in each group type. A type missing
// from roles does not support the action at all, for anybody (unsupported
// answers its code, 10007 unless set); a type with an empty list allows it
// to app admins only. When ranked, the operator must also outrank the
// member acted on.
type rule struct {
	name        string
	roles       map[im.GroupType][]string
	ranked      bool
	unsupported int
}

var (
	owner        = []string{im.RoleOwner}
	ownerAdmin   = []string{im.RoleOwner, im.RoleAdmin}
	anyMember    = []string{im.RoleOwner, im.RoleAdmin, im.RoleMember}
	appAdminOnly = []string{}
)

// perType builds a rule's role table; a nil list leaves the type out.
func perType(private, public, chatRoom, live, community []string) map[im.GroupType][]string {
	m := map[im.GroupType][]string{}
	for t, r := range map[im.GroupType][]string{im.GroupPrivate: private, im.GroupPublic: public,
		im.GroupChatRoom: chatRoom, im.GroupAVChatRoom: live, im.GroupCommunity: community} {
		if r != nil {
			m[t] = r
		}
	}
	return m
}

// rules is the capability matrix of rest-groups.md S2 and the role powers
// of S4.
var rules = map[action]rule{
	actEditProfile:  {name: "edit the group profile", roles: perType(anyMember, ownerAdmin, ownerAdmin, owner, ownerAdmin)},
	actEditSettings: {name: "change the group settings", roles: perType(owner, ownerAdmin, ownerAdmin, owner, ownerAdmin)},
	actInvite:       {name: "add members", roles: perType(anyMember, appAdminOnly, appAdminOnly, nil, anyMember)},
	actKick:         {name: "remove members", roles: perType(owner, ownerAdmin, ownerAdmin, nil, ownerAdmin), ranked: true, unsupported: im.CodeGroupBadParam},
	actMute:         {name: "mute members", roles: perType(nil, ownerAdmin, ownerAdmin, owner, ownerAdmin), ranked: true},
	actSetAdmin:     {name: "appoint admins", roles: perType(nil, owner, owner, nil, owner)},
	actEditMember:   {name: "edit another member's profile", roles: perType(owner, ownerAdmin, ownerAdmin, nil, ownerAdmin), ranked: true},
	actChangeOwner:  {name: "transfer ownership", roles: perType(owner, owner, owner, nil, owner)},
	actDestroy:      {name: "disband the group", roles: perType(appAdminOnly, owner, owner, owner, owner)},
	actTopics:       {name: "manage topics", roles: perType(nil, nil, nil, nil, ownerAdmin)},
	actAttrs:        {name: "write group attributes", roles: perType(ownerAdmin, ownerAdmin, ownerAdmin, ownerAdmin, ownerAdmin)},
	actCounters:     {name: "write group counters", roles: perType(ownerAdmin, ownerAdmin, ownerAdmin, ownerAdmin, nil)},
	actApprove:      {name: "decide join applications", roles: perType(nil, ownerAdmin, ownerAdmin, nil, ownerAdmin)},
}

// rank orders the powers: an operator acts on a member only from above.
func rank(op Operator, role string) int {
	if op.Admin {
		return 4
	}
	switch role {
	case im.RoleOwner:
		return 3
	case im.RoleAdmin:
		return 2
	case im.RoleMember:
		return 1
	}
	return 0
}

// supports reports whether a group type knows the action at all, and the
// error when it does not.
func supports(a action, g *im.Group) error {
	r := rules[a]
	if _, ok := r.roles[g.Type]; ok {
		return nil
	}
	code := r.unsupported
	if code == 0 {
		code = im.CodeGroupNotAllowed
	}
	return im.Errorf(code, "a %s group does not support this: nobody may %s", g.Type, r.name)
}

// allowed checks that op, whose role in the group is role ("" when not a
// member), may perform a on a member whose role is target ("" for actions
// that act on no member).
func allowed(a action, g *im.Group, op Operator, role, target string) error {
	if err := supports(a, g); err != nil {
		return err
	}
	r := rules[a]
	if !op.Admin && !contains(r.roles[g.Type], role) {
		return im.Errorf(im.CodeGroupNotAllowed, "%s may not %s in group %s", op.UserID, r.name, g.ID)
	}
	if r.ranked && target != "" && rank(op, role) <= rank(Operator{}, target) {
		return im.Errorf(im.CodeGroupNotAllowed, "%s may not %s: the member's role (%s) is not below theirs", op.UserID, r.name, target)
	}
	return nil
}

// operatorRole returns op's role in the group, "" for an app admin or a
// non-member, with one point lookup. A live group's owner is its owner
// though no member row is stored.
func (s *Service) operatorRole(ctx context.Context, g *im.Group, op Operator) (string, error) {
	if op.Admin {
		return "", nil
	}
	if g.Owner != "" && op.UserID == g.Owner {
		return im.RoleOwner, nil
	}
	m, err := s.store.GetMembers(ctx, g.AppID, g.ID, []string{op.UserID})
	if err != nil {
		return "", fmt.Errorf("group: role of %s in %s: %w", op.UserID, g.ID, err)
	}
	return m[op.UserID].Role, nil
}

// authorize is allowed for an action on no member, looking op's role up.
func (s *Service) authorize(ctx context.Context, a action, g *im.Group, op Operator) error {
	if err := supports(a, g); err != nil {
		return err
	}
	role, err := s.operatorRole(ctx, g, op)
	if err != nil {
		return err
	}
	return allowed(a, g, op, role, "")
}

// authorizeOn is allowed for an action on the listed users: op must be
// allowed it at all, and must outrank each of them who is a member.
func (s *Service) authorizeOn(ctx context.Context, a action, g *im.Group, op Operator, userIDs []string) error {
	if err := supports(a, g); err != nil {
		return err
	}
	role, err := s.operatorRole(ctx, g, op)
	if err != nil {
		return err
	}
	if err := allowed(a, g, op, role, ""); err != nil || op.Admin {
		return err
	}
	members, err := s.store.GetMembers(ctx, g.AppID, g.ID, userIDs)
	if err != nil {
		return fmt.Errorf("group: roles in %s: %w", g.ID, err)
	}
	for _, m := range members {
		if err := allowed(a, g, op, role, m.Role); err != nil {
			return err
		}
	}
	return nil
}

// mayRead checks that op may read what a group keeps for its members
// (the member list, attributes, counters): an app admin or a member may;
// anyone may read a live group's, whose members are whoever enters it.
func (s *Service) mayRead(ctx context.Context, g *im.Group, op Operator) error {
	if op.Admin || g.Type == im.GroupAVChatRoom {
		return nil
	}
	role, err := s.operatorRole(ctx, g, op)
	if err != nil {
		return err
	}
	if role == "" {
		return im.Errorf(im.CodeGroupNotAllowed, "%s is not a member of group %s", op.UserID, g.ID)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
