package group

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// DefaultImportMembers is import_group's MaxMemberNum when the request
// gives none (its page names 2,000), bounded by the app's cap.
const DefaultImportMembers = 2000

// CreateInput is a create_group or import_group request in domain terms.
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
	// CreateTime is import_group's original creation time; 0 means now.
	CreateTime int64
}

// Create validates and creates a group with its initial members, who are
// told (GroupCreated). Only app admins choose group IDs (S3).
func (s *Service) Create(ctx context.Context, app *config.App, by Operator, in CreateInput, now time.Time) (*im.Group, error) {
	if in.GroupID != "" && !by.Admin {
		return nil, &im.Error{Code: im.CodeGroupNotAllowed, Info: "custom group IDs are chosen by the app's backend (REST create_group), not by clients"}
	}
	g, members, err := s.newGroup(ctx, app, in, now, false)
	if err != nil {
		return nil, err
	}
	if err := s.hooks.BeforeCreate(ctx, by, g, members); err != nil {
		return nil, err
	}
	if err := s.insert(ctx, g, members, false); err != nil {
		return nil, err
	}
	s.hooks.AfterCreate(ctx, by, g, members)
	if len(members) > 0 {
		ids := userIDsOf(members)
		var ev any = GroupCreated{Type: EventGroupCreated, GroupId: g.ID, Operator_Account: by.UserID,
			GroupType: string(g.Type), Name: g.Name, Owner_Account: g.Owner, Members_Account: ids}
		if !Active(g) {
			ev = nil
		}
		s.notify(EventGroupCreated, g.ID, func(n Notifier) error { return n.MembersJoined(ctx, g.AppID, g.ID, ids, ev) })
	}
	return g, nil
}

// Import is import_group: a group migrated from another system, with its
// original creation time and no notices. Live groups cannot be imported.
func (s *Service) Import(ctx context.Context, app *config.App, in CreateInput, now time.Time) (*im.Group, error) {
	if t, ok := ParseType(in.Type); ok && t == im.GroupAVChatRoom {
		return nil, &im.Error{Code: im.CodeGroupNotAllowed, Info: "an AVChatRoom cannot be imported"}
	}
	switch {
	case in.CreateTime < 0 || in.CreateTime > now.Unix():
		return nil, im.Errorf(im.CodeGroupBadParam, "CreateTime %d must not be negative or in the future", in.CreateTime)
	case in.CreateTime == 0:
		in.CreateTime = now.Unix()
	}
	g, members, err := s.newGroup(ctx, app, in, now, true)
	if err != nil {
		return nil, err
	}
	if err := s.insert(ctx, g, members, true); err != nil {
		return nil, err
	}
	if len(members) > 0 {
		ids := userIDsOf(members)
		s.notify(EventMemberJoined, g.ID, func(n Notifier) error { return n.MembersJoined(ctx, g.AppID, g.ID, ids, nil) })
	}
	return g, nil
}

// newGroup checks a create or import request and builds the group and its
// initial member rows.
func (s *Service) newGroup(ctx context.Context, app *config.App, in CreateInput, now time.Time, imported bool) (*im.Group, []im.Member, error) {
	t, ok := ParseType(in.Type)
	if !ok {
		return nil, nil, im.Errorf(im.CodeGroupBadParam, "Type %q is not a group type", in.Type)
	}
	created := now.Unix()
	if imported {
		created = in.CreateTime
	}
	g := &im.Group{
		AppID: app.SDKAppID, ID: in.GroupID, Type: t, Owner: in.Owner,
		Introduction: in.Introduction, Notification: in.Notification, FaceURL: in.FaceURL,
		CreateTime: created, LastInfoTime: created, NextMsgSeq: 1,
		AppDefinedData: in.AppDefinedData, SupportTopic: in.SupportTopic,
	}
	if err := validateProfile(in, t); err != nil {
		return nil, nil, err
	}
	g.Name = *in.Name
	if err := validateCustomData(in.AppDefinedData, MaxAppDefinedKeys, MaxAppDefinedValue, "AppDefinedData"); err != nil {
		return nil, nil, err
	}
	if err := s.setID(g); err != nil {
		return nil, nil, err
	}
	var err error
	if g.ApplyJoinOption, err = applyOption(t, in.ApplyJoinOption); err != nil {
		return nil, nil, err
	}
	limit := app.MemberLimit(string(t))
	def := types[t].defaultMembers
	if imported {
		def = DefaultImportMembers
	}
	g.MaxMemberNum = min(def, limit)
	if in.MaxMemberCount > 0 && (limit == 0 || in.MaxMemberCount <= limit) {
		g.MaxMemberNum = in.MaxMemberCount
	}
	if t == im.GroupAVChatRoom {
		g.MaxMemberNum = 0 // no cap, whatever was asked
	}
	members, err := s.initialMembers(ctx, app, g, in, created)
	if err != nil {
		return nil, nil, err
	}
	return g, members, nil
}

func validateProfile(in CreateInput, t im.GroupType) error {
	switch {
	case in.Name == nil || *in.Name == "":
		return &im.Error{Code: im.CodeGroupBadParam, Info: "Name is required"}
	case in.MaxMemberCount < 0:
		return &im.Error{Code: im.CodeGroupBadParam, Info: "MaxMemberCount must not be negative"}
	case in.SupportTopic && t != im.GroupCommunity:
		return &im.Error{Code: im.CodeGroupBadParam, Info: "SupportTopic is only for Community groups"}
	case len(in.Members) > MaxInitialMembers:
		return im.Errorf(im.CodeGroupTooMany, "MemberList has %d entries, at most %d", len(in.Members), MaxInitialMembers)
	case len(in.Members) > 0 && t == im.GroupAVChatRoom:
		return &im.Error{Code: im.CodeGroupNotAllowed, Info: "an AVChatRoom takes no MemberList: users enter it from the client"}
	}
	return checkProfileSizes(profileFields{Name: *in.Name, Introduction: in.Introduction, Notification: in.Notification, FaceURL: in.FaceURL})
}

// profileFields are the text fields of a group or topic profile.
type profileFields struct {
	Name, Introduction, Notification, FaceURL string
}

// checkProfileSizes checks the byte limits of rest-groups.md S6 (the
// topic fields share them).
func checkProfileSizes(p profileFields) error {
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"Name", p.Name, MaxNameBytes},
		{"Introduction", p.Introduction, MaxIntroBytes},
		{"Notification", p.Notification, MaxNotificationBytes},
		{"FaceUrl", p.FaceURL, MaxFaceURLBytes},
	} {
		if len(f.value) > f.max {
			return im.Errorf(im.CodeGroupBadParam, "%s is over %d bytes", f.name, f.max)
		}
	}
	return nil
}

// validateCustomData checks the shape of AppDefinedData-style fields. Keys
// are not declared per app in chatd, so any well-formed key is accepted.
func validateCustomData(kvs []im.KV, maxKeys, maxValue int, field string) error {
	if len(kvs) > maxKeys {
		return im.Errorf(im.CodeGroupBadParam, "%s has more than %d keys", field, maxKeys)
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

// mergeCustomData applies changes to stored custom fields: a listed key is
// set, or deleted by a Value of "", and unlisted keys stay. It returns the
// result and the entries that changed anything.
func mergeCustomData(stored, changes []im.KV, maxKeys int, field string) ([]im.KV, []im.KV, error) {
	out := append([]im.KV(nil), stored...)
	var changed []im.KV
	for _, c := range changes {
		i := indexOfKey(out, c.Key)
		switch {
		case i < 0 && c.Value == "":
			continue
		case i < 0:
			out = append(out, c)
		case c.Value == "":
			out = append(out[:i], out[i+1:]...)
		case out[i].Value == c.Value:
			continue
		default:
			out[i].Value = c.Value
		}
		changed = append(changed, c)
	}
	if len(out) > maxKeys {
		return nil, nil, im.Errorf(im.CodeGroupBadParam, "%s would hold more than %d keys", field, maxKeys)
	}
	return out, changed, nil
}

func indexOfKey(kvs []im.KV, key string) int {
	for i, kv := range kvs {
		if kv.Key == key {
			return i
		}
	}
	return -1
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

// checkApplyOption checks an ApplyJoinOption value ("" = not given).
func checkApplyOption(given string) error {
	switch given {
	case "", FreeAccess, NeedPermission, DisableApply:
		return nil
	}
	return im.Errorf(im.CodeGroupBadParam, "ApplyJoinOption %q is not one of FreeAccess, NeedPermission, DisableApply", given)
}

func applyOption(t im.GroupType, given string) (string, error) {
	if err := checkApplyOption(given); err != nil {
		return "", err
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
func (s *Service) initialMembers(ctx context.Context, app *config.App, g *im.Group, in CreateInput, joined int64) ([]im.Member, error) {
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
		members = append(members, im.Member{UserID: g.Owner, Role: im.RoleOwner, JoinTime: joined, MsgFlag: info.msgFlag})
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
		case m.Role == im.RoleAdmin && !hasAdmins(g.Type):
			return nil, im.Errorf(im.CodeGroupBadParam, "a %s group has no admins", g.Type)
		}
		if err := validateCustomData(m.AppMemberDefinedData, MaxMemberDefinedKeys, MaxMemberDefinedVal, "AppMemberDefinedData"); err != nil {
			return nil, err
		}
		if seen[m.UserID] {
			continue
		}
		seen[m.UserID] = true
		if m.Role == "" {
			m.Role = im.RoleMember
		}
		m.JoinTime, m.MsgFlag = joined, info.msgFlag
		members = append(members, m)
		ids = append(ids, m.UserID)
	}
	if err := s.checkAccounts(ctx, app.SDKAppID, ids); err != nil {
		return nil, err
	}
	if g.MaxMemberNum > 0 && len(members) > g.MaxMemberNum {
		return nil, im.Errorf(im.CodeGroupMemberLimit, "%d members exceed the group's cap of %d", len(members), g.MaxMemberNum)
	}
	counts, err := s.store.CountJoinedGroupsOf(ctx, app.SDKAppID, userIDsOf(members))
	if err != nil {
		return nil, fmt.Errorf("group: create: %w", err)
	}
	for _, m := range members {
		if n := counts[m.UserID]; n >= app.JoinedGroups() {
			return nil, im.Errorf(im.CodeGroupJoinLimit, "%s already belongs to %d groups", m.UserID, n)
		}
	}
	return members, nil
}

// checkAccounts answers 10019 unless every listed UserID is imported.
func (s *Service) checkAccounts(ctx context.Context, appID uint64, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	found, err := s.accounts.GetAccounts(ctx, appID, ids)
	if err != nil {
		return fmt.Errorf("group: accounts: %w", err)
	}
	for _, id := range ids {
		if _, ok := found[id]; !ok {
			return im.Errorf(im.CodeGroupAccountNotFound, "account %s is not imported", id)
		}
	}
	return nil
}

// insert stores the group, drawing a fresh generated ID on the (unlikely)
// collision of a random one, and mapping a taken custom ID to 10021, or
// 10025 when a create names the same owner as the group holding it.
func (s *Service) insert(ctx context.Context, g *im.Group, members []im.Member, imported bool) error {
	custom := g.ID != ""
	for attempt := 0; ; attempt++ {
		if !custom {
			g.ID = GeneratedPrefix + types[g.Type].idInfix + s.newID()
		}
		err := s.store.CreateGroup(ctx, g, members)
		if err == nil {
			s.types.put(typeKey{g.AppID, g.ID}, g.Type)
			return nil
		}
		if !errors.Is(err, im.ErrConflict) {
			return fmt.Errorf("group: create: %w", err)
		}
		if !custom && attempt < 3 {
			continue
		}
		existing, getErr := s.store.GetGroup(ctx, g.AppID, g.ID)
		if !imported && getErr == nil && existing.Owner != "" && existing.Owner == g.Owner {
			return im.Errorf(im.CodeGroupIDTakenByOwner, "group ID %s is already used by %s's group; disband it first", g.ID, g.Owner)
		}
		return im.Errorf(im.CodeGroupIDTaken, "group ID %s is already in use", g.ID)
	}
}

func userIDsOf(members []im.Member) []string {
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.UserID
	}
	return ids
}
