package api

import (
	"context"

	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
)

// memberCommands are the Group member management and Group member
// information sections of rest-groups.md.
func (a groupAPI) memberCommands() []Command {
	imp := command("v4/group_open_http_svc/import_group_member", 200, groupDomain, a.importMembers)
	// This endpoint's own page names 10006 for calling it too often.
	imp.LimitCode = im.CodeGroupRateLimit
	return []Command{
		command("v4/group_open_http_svc/add_group_member", 200, groupDomain, a.addMembers),
		command("v4/group_open_http_svc/delete_group_member", 200, groupDomain, a.deleteMembers),
		command("v4/group_open_http_svc/change_group_owner", 200, groupDomain, a.changeOwner),
		command("v4/group_open_http_svc/get_role_in_group", 200, groupDomain, a.roles),
		imp,
		command("v4/group_open_http_svc/get_group_member_info", 200, groupDomain, a.memberInfo),
		command("v4/group_open_http_svc/get_specified_group_member_info", 200, groupDomain, a.specifiedMembers),
		command("v4/group_open_http_svc/modify_group_member_info", 200, groupDomain, a.modifyMember),
	}
}

// zeroOrOne checks an integer flag such as Silence.
func zeroOrOne(field string, v int) error {
	if v != 0 && v != 1 {
		return im.Errorf(im.CodeGroupBadParam, "%s must be 0 or 1", field)
	}
	return nil
}

type memberResult struct {
	Member_Account string
	Result         int
}

type memberResultsResp struct {
	MemberList []memberResult
}

func memberResults(results []group.MemberResult) *memberResultsResp {
	resp := &memberResultsResp{MemberList: make([]memberResult, len(results))}
	for i, r := range results {
		resp.MemberList[i] = memberResult{Member_Account: r.UserID, Result: r.Result}
	}
	return resp
}

type addMembersReq struct {
	GroupId    string
	Silence    int
	MemberList []struct{ Member_Account string }
}

func (a groupAPI) addMembers(ctx context.Context, call *Call, req *addMembersReq) (*memberResultsResp, error) {
	if err := zeroOrOne("Silence", req.Silence); err != nil {
		return nil, err
	}
	ids := make([]string, len(req.MemberList))
	for i, m := range req.MemberList {
		ids[i] = m.Member_Account
	}
	results, err := a.svc.AddMembers(ctx, call.App, group.AppAdmin(call.Identifier), req.GroupId, ids, req.Silence == 1, call.Now)
	if err != nil {
		return nil, err
	}
	return memberResults(results), nil
}

type deleteMembersReq struct {
	GroupId             string
	Silence             int
	Reason              string
	MemberToDel_Account []string
}

func (a groupAPI) deleteMembers(ctx context.Context, call *Call, req *deleteMembersReq) (*empty, error) {
	if err := zeroOrOne("Silence", req.Silence); err != nil {
		return nil, err
	}
	err := a.svc.RemoveMembers(ctx, call.App, group.AppAdmin(call.Identifier), req.GroupId, nonNil(req.MemberToDel_Account), req.Reason, req.Silence == 1)
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type changeOwnerReq struct {
	GroupId          string
	NewOwner_Account string
}

func (a groupAPI) changeOwner(ctx context.Context, call *Call, req *changeOwnerReq) (*empty, error) {
	if err := a.svc.ChangeOwner(ctx, call.App, group.AppAdmin(call.Identifier), req.GroupId, req.NewOwner_Account, call.Now); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type rolesReq struct {
	GroupId      string
	User_Account []string
}

type userRole struct {
	Member_Account string
	Role           string
}

type rolesResp struct {
	UserIdList []userRole
}

func (a groupAPI) roles(ctx context.Context, call *Call, req *rolesReq) (*rolesResp, error) {
	roles, err := a.svc.Roles(ctx, call.App.SDKAppID, req.GroupId, nonNil(req.User_Account))
	if err != nil {
		return nil, err
	}
	resp := &rolesResp{UserIdList: make([]userRole, len(roles))}
	for i, r := range roles {
		resp.UserIdList[i] = userRole{Member_Account: req.User_Account[i], Role: r}
	}
	return resp, nil
}

type importMembersReq struct {
	GroupId    string
	MemberList []struct {
		Member_Account string
		Role           string
		JoinTime       int64
		UnreadMsgNum   *int64
	}
}

func (a groupAPI) importMembers(ctx context.Context, call *Call, req *importMembersReq) (*memberResultsResp, error) {
	entries := make([]group.ImportMember, len(req.MemberList))
	for i, m := range req.MemberList {
		if m.JoinTime < 0 {
			return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "MemberList.JoinTime must not be negative"}
		}
		entries[i] = group.ImportMember{UserID: m.Member_Account, Role: m.Role, JoinTime: m.JoinTime, Unread: m.UnreadMsgNum}
	}
	results, err := a.svc.ImportMembers(ctx, call.App, req.GroupId, entries, call.Now)
	if err != nil {
		return nil, err
	}
	return memberResults(results), nil
}

// memberFilters are the member filters of get_group_member_info and
// get_specified_group_member_info, at the top level of the request.
type memberFilters struct {
	MemberInfoFilter                 []string
	MemberRoleFilter                 []string
	AppDefinedDataFilter_GroupMember []string
}

// entries renders members through the filters (S10).
func (f *memberFilters) entries(members []im.Member) []fields {
	out := make([]fields, len(members))
	for i := range members {
		out[i] = memberEntry(&members[i], f.MemberInfoFilter, f.AppDefinedDataFilter_GroupMember)
	}
	return out
}

type memberInfoReq struct {
	GroupId string
	memberFilters
	Limit  *int
	Offset *int
	Next   *string
}

type memberInfoResp struct {
	MemberNum  int
	MemberList []fields
	Next       *string `json:",omitempty"`
}

func (a groupAPI) memberInfo(ctx context.Context, call *Call, req *memberInfoReq) (*memberInfoResp, error) {
	q := group.MemberQuery{Roles: req.MemberRoleFilter, Limit: req.Limit, Offset: req.Offset}
	if req.Next != nil {
		q.Next = *req.Next
	}
	g, members, next, err := a.svc.MemberPage(ctx, call.App.SDKAppID, group.AppAdmin(call.Identifier), req.GroupId, q, call.Now)
	if err != nil {
		return nil, err
	}
	resp := &memberInfoResp{MemberNum: g.MemberNum, MemberList: req.entries(members)}
	if g.Type == im.GroupCommunity {
		resp.Next = &next
	}
	return resp, checkReplySize(resp, len(members))
}

type specifiedMembersReq struct {
	GroupId             string
	Member_List_Account []string
	memberFilters
}

type specifiedMembersResp struct {
	MemberList []fields
}

func (a groupAPI) specifiedMembers(ctx context.Context, call *Call, req *specifiedMembersReq) (*specifiedMembersResp, error) {
	members, err := a.svc.SpecifiedMembers(ctx, call.App.SDKAppID, group.AppAdmin(call.Identifier), req.GroupId, nonNil(req.Member_List_Account), req.MemberRoleFilter, call.Now)
	if err != nil {
		return nil, err
	}
	return &specifiedMembersResp{MemberList: req.entries(members)}, nil
}

type modifyMemberReq struct {
	GroupId              string
	Member_Account       string
	Role                 *string
	MsgFlag              *string
	NameCard             *string
	AppMemberDefinedData []im.KV
	MuteTime             *int64
	ShutUpTime           *int64 // legacy name of MuteTime (S11)
}

// muteSeconds reads MuteTime or its legacy name ShutUpTime, the current
// name winning; nil when neither is given.
func muteSeconds(current, legacy *int64) *int64 {
	if current != nil {
		return current
	}
	return legacy
}

func (a groupAPI) modifyMember(ctx context.Context, call *Call, req *modifyMemberReq) (*empty, error) {
	ch := group.MemberChange{
		Role: req.Role, MsgFlag: req.MsgFlag, NameCard: req.NameCard,
		AppMemberDefinedData: req.AppMemberDefinedData, MuteTime: muteSeconds(req.MuteTime, req.ShutUpTime),
	}
	if err := a.svc.ModifyMember(ctx, call.App, group.AppAdmin(call.Identifier), req.GroupId, req.Member_Account, ch, call.Now); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// Reply size cap of the group service (overview.md §1.9): 10018 beyond.
const (
	maxReplyBytes = 1 << 20
	// replyCheckEntries is the list length below which a reply cannot
	// reach the cap, so it is not encoded twice to measure it: a member
	// entry is under 3 KiB even with every byte of its text escaped.
	replyCheckEntries = 300
)

// checkReplySize answers 10018 for a reply over 1 MB.
func checkReplySize(resp any, entries int) error {
	if entries < replyCheckEntries {
		return nil
	}
	b, err := im.EncodeJSON(resp)
	if err != nil {
		return err
	}
	if len(b) > maxReplyBytes {
		return im.Errorf(im.CodeGroupReplyTooLarge, "the reply would be %d bytes, over 1 MB: ask for fewer members with Limit", len(b))
	}
	return nil
}
