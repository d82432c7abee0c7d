package group

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chatd/chatd/internal/im"
)

// CreateInput is a create_group request in domain terms.
type CreateInput struct {
	Owner           string
	Type            string
	GroupID         string
	Name            *string
	Introduction    string
	Notification    string
	FaceURL         string
	MaxMemberCount  int
	ApplyJoinOption string
	AppDefinedData  []im.KV
	Members         []im.Member // Role and AppMemberDefinedData as given
	SupportTopic    bool
}

// Create validates and creates a group with its initial members.
func (s *Service) Create(ctx context.Context, appID uint64, in CreateInput, now time.Time) (*im.Group, error) {
	t, ok := ParseType(in.Type)
	if !ok {
		return nil, im.Errorf(im.CodeGroupBadParam, "Type %q is not a group type", in.Type)
	}
	info := types[t]
	g := &im.Group{
		AppID: appID, ID: in.GroupID, Type: t, Owner: in.Owner,
		Introduction: in.Introduction, Notification: in.Notification, FaceURL: in.FaceURL,
		CreateTime: now.Unix(), LastInfoTime: now.Unix(), NextMsgSeq: 1,
		AppDefinedData: in.AppDefinedData, SupportTopic: in.SupportTopic,
	}
	if err := validateProfile(in, t); err != nil {
		return nil, err
	}
	g.Name = *in.Name
	if err := validateCustomData(in.AppDefinedData, MaxAppDefinedValue, "AppDefinedData"); err != nil {
		return nil, err
	}
	if err := s.setID(g); err != nil {
		return nil, err
	}
	var err error
	if g.ApplyJoinOption, err = applyOption(t, in.ApplyJoinOption); err != nil {
		return nil, err
	}
	g.MaxMemberNum = info.defaultMembers
	if in.MaxMemberCount > 0 && (info.maxMembers == 0 || in.MaxMemberCount <= info.maxMembers) {
		g.MaxMemberNum = in.MaxMemberCount
	}

	members, err := s.initialMembers(ctx, appID, g, in, now)
	if err != nil {
		return nil, err
	}
	if err := s.insert(ctx, g, members); err != nil {
		return nil, err
	}
	s.types.put(typeKey{appID, g.ID}, g.Type)
	g.MemberNum = len(members)
	return g, nil
}

func validateProfile(in CreateInput, t im.GroupType) error {
	switch {
	case in.Name == nil || *in.Name == "":
		return &im.Error{Code: im.CodeGroupBadParam, Info: "Name is required"}
	case len(*in.Name) > MaxNameBytes:
		return im.Errorf(im.CodeGroupBadParam, "Name is over %d bytes", MaxNameBytes)
	case len(in.Introduction) > MaxIntroBytes:
		return im.Errorf(im.CodeGroupBadParam, "Introduction is over %d bytes", MaxIntroBytes)
	case len(in.Notification) > MaxNotificationBytes:
		return im.Errorf(im.CodeGroupBadParam, "Notification is over %d bytes", MaxNotificationBytes)
	case len(in.FaceURL) > MaxFaceURLBytes:
		return im.Errorf(im.CodeGroupBadParam, "FaceUrl is over %d bytes", MaxFaceURLBytes)
	case in.MaxMemberCount < 0:
		return &im.Error{Code: im.CodeGroupBadParam, Info: "MaxMemberCount must not be negative"}
	case in.SupportTopic && t != im.GroupCommunity:
		return &im.Error{Code: im.CodeGroupBadParam, Info: "SupportTopic is only for Community groups"}
	case len(in.Members) > MaxInitialMembers:
		return im.Errorf(im.CodeGroupTooMany, "MemberList has %d entries, at most %d", len(in.Members), MaxInitialMembers)
	case len(in.Members) > 0 && t == im.GroupAVChatRoom:
		return &im.Error{Code: im.CodeGroupNotAllowed, Info: "an AVChatRoom takes no MemberList: users enter it from the client"}
	}
	return nil
}

// validateCustomData checks the shape of AppDefinedData-style fields. Keys
// are not declared per app in chatd, so any well-formed key is accepted.
func validateCustomData(kvs []im.KV, maxValue int, field string) error {
	if len(kvs) > MaxAppDefinedKeys {
		return im.Errorf(im.CodeGroupBadParam, "%s has more than %d keys", field, MaxAppDefinedKeys)
	}
	for _, kv := range kvs {
		if !validCustomKey(kv.Key) {
			return im.Errorf(im.CodeGroupBadParam, "%s key %q must be 1-%d characters of [A-Za-z0-9_], not starting with a digit", field, kv.Key, MaxAppDefinedKey)
		}
		if len(kv.Value) > maxValue {
			return im.Errorf(im.CodeGroupBadParam, "%s value of %s is over %d bytes", field, kv.Key, maxValue)
		}
	}
	return nil
}

func validCustomKey(k string) bool {
	if len(k) == 0 || len(k) > MaxAppDefinedKey || (k[0] >= '0' && k[0] <= '9') {
		return false
	}
	for _, c := range k {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// setID checks a custom ID or, when none is given, leaves it for insert.
func (s *Service) setID(g *im.Group) error {
	if g.ID == "" {
		return nil
	}
	if !im.ValidGroupID(g.ID) {
		return im.Errorf(im.CodeGroupInvalidID, "group ID must be 1-%d bytes of printable ASCII", im.MaxGroupIDBytes)
	}
	community := strings.HasPrefix(g.ID, CommunityPrefix)
	if g.Type == im.GroupCommunity && !community {
		return im.Errorf(im.CodeGroupInvalidID, "a Community group ID must start with %s", CommunityPrefix)
	}
	if g.Type != im.GroupCommunity && strings.HasPrefix(g.ID, GeneratedPrefix) {
		return im.Errorf(im.CodeGroupInvalidID, "a custom group ID must not start with %s", GeneratedPrefix)
	}
	return nil
}

func applyOption(t im.GroupType, given string) (string, error) {
	switch given {
	case "", FreeAccess, NeedPermission, DisableApply:
	default:
		return "", im.Errorf(im.CodeGroupBadParam, "ApplyJoinOption %q is not one of FreeAccess, NeedPermission, DisableApply", given)
	}
	switch t {
	case im.GroupPrivate:
		return DisableApply, nil // Work groups take invitations, never applications
	case im.GroupPublic:
		if given == "" {
			return NeedPermission, nil
		}
		return given, nil
	case im.GroupCommunity:
		return FreeAccess, nil // not configurable for communities
	default: // Meeting and live groups let anyone in
		if given == "" {
			return FreeAccess, nil
		}
		return given, nil
	}
}

// initialMembers builds the owner and MemberList rows, checking that every
// account exists, roles fit the type, and the caps hold.
func (s *Service) initialMembers(ctx context.Context, appID uint64, g *im.Group, in CreateInput, now time.Time) ([]im.Member, error) {
	info := types[g.Type]
	var ids []string
	if g.Owner != "" {
		if !im.ValidUserID(g.Owner) {
			return nil, im.InvalidUserID(im.CodeGroupBadParam, "Owner_Account", g.Owner)
		}
		ids = append(ids, g.Owner)
	}
	members := make([]im.Member, 0, len(in.Members)+1)
	if g.Owner != "" && g.Type != im.GroupAVChatRoom {
		members = append(members, im.Member{UserID: g.Owner, Role: im.RoleOwner, JoinTime: now.Unix(), MsgFlag: info.msgFlag})
	}
	seen := map[string]bool{g.Owner: true}
	for _, m := range in.Members {
		switch {
		case m.UserID == "":
			return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "MemberList.Member_Account is required"}
		case !im.ValidUserID(m.UserID):
			return nil, im.InvalidUserID(im.CodeGroupBadParam, "MemberList.Member_Account", m.UserID)
		case m.Role != "" && m.Role != im.RoleMember && m.Role != im.RoleAdmin:
			return nil, im.Errorf(im.CodeGroupBadParam, "MemberList.Role may only be Admin or Member, got %q", m.Role)
		case m.Role == im.RoleAdmin && !info.admins:
			return nil, im.Errorf(im.CodeGroupBadParam, "a %s group has no admins", g.Type)
		}
		if err := validateCustomData(m.AppMemberDefinedData, MaxMemberDefinedVal, "AppMemberDefinedData"); err != nil {
			return nil, err
		}
		if seen[m.UserID] {
			continue
		}
		seen[m.UserID] = true
		if m.Role == "" {
			m.Role = im.RoleMember
		}
		m.JoinTime, m.MsgFlag = now.Unix(), info.msgFlag
		members = append(members, m)
		ids = append(ids, m.UserID)
	}
	if len(ids) > 0 {
		found, err := s.accounts.GetAccounts(ctx, appID, ids)
		if err != nil {
			return nil, fmt.Errorf("group: create: %w", err)
		}
		for _, id := range ids {
			if _, ok := found[id]; !ok {
				return nil, im.Errorf(im.CodeGroupAccountNotFound, "account %s is not imported", id)
			}
		}
	}
	if info.maxMembers > 0 && len(members) > g.MaxMemberNum {
		return nil, im.Errorf(im.CodeGroupMemberLimit, "%d members exceed the group's cap of %d", len(members), g.MaxMemberNum)
	}
	for _, m := range members {
		n, err := s.store.CountJoinedGroups(ctx, appID, m.UserID)
		if err != nil {
			return nil, fmt.Errorf("group: create: %w", err)
		}
		if n >= MaxJoinedGroups {
			return nil, im.Errorf(im.CodeGroupJoinLimit, "%s already belongs to %d groups", m.UserID, n)
		}
	}
	return members, nil
}

// insert stores the group, drawing a fresh generated ID on the (unlikely)
// collision of a random one, and mapping a taken custom ID to 10021/10025.
func (s *Service) insert(ctx context.Context, g *im.Group, members []im.Member) error {
	custom := g.ID != ""
	for attempt := 0; ; attempt++ {
		if !custom {
			g.ID = GeneratedPrefix + types[g.Type].idInfix + s.newID()
		}
		err := s.store.CreateGroup(ctx, g, members)
		if err == nil {
			return nil
		}
		if !errors.Is(err, im.ErrConflict) {
			return fmt.Errorf("group: create: %w", err)
		}
		if !custom && attempt < 3 {
			continue
		}
		existing, getErr := s.store.GetGroup(ctx, g.AppID, g.ID)
		if getErr == nil && existing.Owner != "" && existing.Owner == g.Owner {
			return im.Errorf(im.CodeGroupIDTakenByOwner, "group ID %s is already used by %s's group; disband it first", g.ID, g.Owner)
		}
		return im.Errorf(im.CodeGroupIDTaken, "group ID %s is already in use", g.ID)
	}
}
