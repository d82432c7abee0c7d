package api

import (
	"context"

	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
)

// groupAPI is the Group management and Group information sections of
// rest-groups.md.
type groupAPI struct{ svc *group.Service }

func (a groupAPI) commands() []Command {
	list := command("v4/group_open_http_svc/get_appid_group_list", 1, groupDomain, a.appGroups)
	// This endpoint's own page names 10006 for calling it too often.
	list.LimitCode = im.CodeGroupRateLimit
	all := []Command{
		list,
		command("v4/group_open_http_svc/create_group", 200, groupDomain, a.create),
		command("v4/group_open_http_svc/destroy_group", 200, groupDomain, a.destroy),
		command("v4/group_open_http_svc/get_joined_group_list", 200, groupDomain, a.joined),
		command("v4/group_open_http_svc/get_group_info", 200, groupDomain, a.info),
		command("v4/group_open_http_svc/modify_group_base_info", 200, groupDomain, a.modify),
		command("v4/group_open_http_svc/import_group", 200, groupDomain, a.importGroup),
	}
	all = append(all, a.memberCommands()...)
	all = append(all, a.muteCommands()...)
	all = append(all, a.attrCommands()...)
	all = append(all, a.counterCommands()...)
	return append(all, a.topicCommands()...)
}

// groupProfileReq is what create_group and import_group share.
type groupProfileReq struct {
	Owner_Account   string
	Type            string
	GroupId         string
	Name            *string
	Introduction    string
	Notification    string
	FaceUrl         string
	MaxMemberCount  int
	ApplyJoinOption string
	AppDefinedData  []im.KV
	SupportTopic    int
}

func (r *groupProfileReq) input() (group.CreateInput, error) {
	if r.Type == "" {
		return group.CreateInput{}, &im.Error{Code: im.CodeGroupBadParam, Info: "Type is required"}
	}
	if r.SupportTopic != 0 && r.SupportTopic != 1 {
		return group.CreateInput{}, &im.Error{Code: im.CodeGroupBadParam, Info: "SupportTopic must be 0 or 1"}
	}
	return group.CreateInput{
		Owner: r.Owner_Account, Type: r.Type, GroupID: r.GroupId, Name: r.Name,
		Introduction: r.Introduction, Notification: r.Notification, FaceURL: r.FaceUrl,
		MaxMemberCount: r.MaxMemberCount, ApplyJoinOption: r.ApplyJoinOption,
		AppDefinedData: r.AppDefinedData, SupportTopic: r.SupportTopic == 1,
	}, nil
}

type createGroupReq struct {
	groupProfileReq
	MemberList []struct {
		Member_Account       string
		Role                 string
		AppMemberDefinedData []im.KV
	}
}

type createGroupResp struct {
	GroupId       string
	Type          string `json:",omitempty"`
	HugeGroupFlag *int   `json:",omitempty"`
}

func (a groupAPI) create(ctx context.Context, call *Call, req *createGroupReq) (*createGroupResp, error) {
	in, err := req.input()
	if err != nil {
		return nil, err
	}
	for _, m := range req.MemberList {
		in.Members = append(in.Members, im.Member{UserID: m.Member_Account, Role: m.Role, AppMemberDefinedData: m.AppMemberDefinedData})
	}
	g, err := a.svc.Create(ctx, call.App, group.AppAdmin(call.Identifier), in, call.Now)
	if err != nil {
		return nil, err
	}
	resp := &createGroupResp{GroupId: g.ID}
	if g.SupportTopic {
		resp.Type, resp.HugeGroupFlag = string(g.Type), new(int)
	}
	return resp, nil
}

type groupIDReq struct {
	GroupId string
}

func (a groupAPI) destroy(ctx context.Context, call *Call, req *groupIDReq) (*empty, error) {
	if err := a.svc.Destroy(ctx, call.App, group.AppAdmin(call.Identifier), req.GroupId); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// Paging limits of the listing endpoints.
const (
	maxAppGroupPage    = 10000
	maxJoinedGroupPage = 5000
	maxGroupInfoIDs    = 50
)

type appGroupsReq struct {
	Limit     *int
	Next      int64
	GroupType string
}

type groupIDItem struct {
	GroupId string
}

type appGroupsResp struct {
	TotalCount  int
	GroupIdList []groupIDItem
	Next        int64
}

// legacyBroadcastRoom is a GroupType filter value that names a type that
// can no longer be created, so it always lists nothing.
const legacyBroadcastRoom = "BChatRoom"

func (a groupAPI) appGroups(ctx context.Context, call *Call, req *appGroupsReq) (*appGroupsResp, error) {
	limit := maxAppGroupPage
	if req.Limit != nil {
		limit = *req.Limit
	}
	if limit <= 0 || limit > maxAppGroupPage || req.Next < 0 {
		return nil, im.Errorf(im.CodeGroupBadParam, "Limit must be 1 to %d and Next not negative", maxAppGroupPage)
	}
	if req.GroupType == legacyBroadcastRoom {
		return &appGroupsResp{GroupIdList: []groupIDItem{}}, nil
	}
	var t im.GroupType
	if req.GroupType != "" {
		var ok bool
		if t, ok = group.ParseType(req.GroupType); !ok {
			return nil, im.Errorf(im.CodeGroupBadParam, "GroupType %q is not a group type", req.GroupType)
		}
	}
	page, err := a.svc.List(ctx, call.App.SDKAppID, t, req.Next, limit)
	if err != nil {
		return nil, err
	}
	resp := &appGroupsResp{TotalCount: page.Total, Next: page.Next, GroupIdList: make([]groupIDItem, len(page.IDs))}
	for i, id := range page.IDs {
		resp.GroupIdList[i] = groupIDItem{GroupId: id}
	}
	return resp, nil
}
