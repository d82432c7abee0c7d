package clientapi

import (
	"context"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
)

// groupOps are the client's side of groups (docs/client-protocol.md §4,
// Groups): the group service's operations with the logged-in user as the
// operator, so each has the checks and codes of the REST command of the
// same name. Entering a live group is the gateway's join_group.
func groupOps(s Services) map[string]gateway.Op {
	g := &groupClient{svc: s.Groups, apps: map[uint64]*config.App{}, now: time.Now}
	for i := range s.Apps {
		g.apps[s.Apps[i].SDKAppID] = &s.Apps[i]
	}
	if s.Streams != nil {
		g.now = s.Streams.Now
	}
	return map[string]gateway.Op{
		"create_group":                    groupOp(g, g.create),
		"destroy_group":                   groupOp(g, g.destroy),
		"apply_join_group":                groupOp(g, g.apply),
		"get_join_applications":           groupOp(g, g.applications),
		"approve_join_application":        groupOp(g, g.decide(true)),
		"reject_join_application":         groupOp(g, g.decide(false)),
		"add_group_member":                groupOp(g, g.invite),
		"delete_group_member":             groupOp(g, g.kick),
		"leave_group":                     groupOp(g, g.leave),
		"forbid_send_msg":                 groupOp(g, g.mute),
		"change_group_owner":              groupOp(g, g.changeOwner),
		"get_group_info":                  groupOp(g, g.info),
		"modify_group_base_info":          groupOp(g, g.modifyInfo),
		"get_joined_group_list":           groupOp(g, g.joined),
		"get_group_member_info":           groupOp(g, g.members),
		"get_specified_group_member_info": groupOp(g, g.specifiedMembers),
		"modify_group_member_info":        groupOp(g, g.modifyMember),
		"get_group_attr":                  groupOp(g, g.attrs),
		"get_group_counter":               groupOp(g, g.counters),
	}
}

type groupClient struct {
	svc  *group.Service
	apps map[uint64]*config.App
	now  func() time.Time
}

// groupCall is what every group op knows of its request besides its
// fields: the session's app, the user as the operator, and the time.
type groupCall struct {
	App *config.App
	By  group.Operator
	Now time.Time
}

// groupOp is op for a group handler.
func groupOp[Req, Resp any](g *groupClient, fn func(ctx context.Context, c groupCall, req *Req) (*Resp, error)) gateway.Op {
	return op(im.CodeGroupBadParam, im.CodeGroupInternal, func(ctx context.Context, s *gateway.Session, req *Req) (*Resp, error) {
		app := g.apps[s.AppID]
		if app == nil {
			return nil, im.Errorf(im.CodeBadSDKAppID, "sdkappid %d is not an app of this server", s.AppID)
		}
		return fn(ctx, groupCall{App: app, By: group.Operator{UserID: s.UserID}, Now: g.now()}, req)
	})
}

// done is the reply of an op that answers nothing but success.
type done struct{}

type groupIDReq struct {
	GroupID string `json:"GroupId"`
}

type createReq struct {
	Type            string  `json:"Type"`
	GroupID         string  `json:"GroupId"`
	Name            *string `json:"Name"`
	Introduction    string  `json:"Introduction"`
	Notification    string  `json:"Notification"`
	FaceURL         string  `json:"FaceUrl"`
	MaxMemberCount  int     `json:"MaxMemberCount"`
	ApplyJoinOption string  `json:"ApplyJoinOption"`
	AppDefinedData  []im.KV `json:"AppDefinedData"`
	SupportTopic    int     `json:"SupportTopic"`
	MemberList      []struct {
		Member               string  `json:"Member_Account"`
		Role                 string  `json:"Role"`
		AppMemberDefinedData []im.KV `json:"AppMemberDefinedData"`
	} `json:"MemberList"`
}

type createResp struct {
	GroupID string `json:"GroupId"`
}

// create makes the user the owner of a new group.
func (g *groupClient) create(ctx context.Context, c groupCall, req *createReq) (*createResp, error) {
	switch {
	case req.Type == "":
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "Type is required"}
	case req.SupportTopic != 0 && req.SupportTopic != 1:
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "SupportTopic must be 0 or 1"}
	}
	in := group.CreateInput{
		Owner: c.By.UserID, Type: req.Type, GroupID: req.GroupID, Name: req.Name,
		Introduction: req.Introduction, Notification: req.Notification, FaceURL: req.FaceURL,
		MaxMemberCount: req.MaxMemberCount, ApplyJoinOption: req.ApplyJoinOption,
		AppDefinedData: req.AppDefinedData, SupportTopic: req.SupportTopic == 1,
	}
	for _, m := range req.MemberList {
		in.Members = append(in.Members, im.Member{UserID: m.Member, Role: m.Role, AppMemberDefinedData: m.AppMemberDefinedData})
	}
	created, err := g.svc.Create(ctx, c.App, c.By, in, c.Now)
	if err != nil {
		return nil, err
	}
	return &createResp{GroupID: created.ID}, nil
}

func (g *groupClient) destroy(ctx context.Context, c groupCall, req *groupIDReq) (*done, error) {
	return &done{}, g.svc.Destroy(ctx, c.App, c.By, req.GroupID)
}

type applyReq struct {
	GroupID  string `json:"GroupId"`
	ApplyMsg string `json:"ApplyMsg"`
}

type applyResp struct {
	// Result is Joined or Pending.
	Result string `json:"Result"`
}

func (g *groupClient) apply(ctx context.Context, c groupCall, req *applyReq) (*applyResp, error) {
	result, err := g.svc.Apply(ctx, c.App, c.By.UserID, req.GroupID, req.ApplyMsg, c.Now)
	if err != nil {
		return nil, err
	}
	return &applyResp{Result: result}, nil
}

type applicationsReq struct {
	GroupID string `json:"GroupId"`
	Offset  int    `json:"Offset"`
	Limit   int    `json:"Limit"`
}

type application struct {
	Applicant string `json:"Applicant_Account"`
	ApplyMsg  string `json:"ApplyMsg"`
	ApplyTime int64  `json:"ApplyTime"`
}

type applicationsResp struct {
	ApplicationList []application `json:"ApplicationList"`
	// Next is the Offset of the following page, 0 on the last.
	Next int `json:"Next"`
}

func (g *groupClient) applications(ctx context.Context, c groupCall, req *applicationsReq) (*applicationsResp, error) {
	list, next, err := g.svc.Applications(ctx, c.App.SDKAppID, c.By, req.GroupID, req.Offset, req.Limit)
	if err != nil {
		return nil, err
	}
	resp := &applicationsResp{ApplicationList: make([]application, len(list)), Next: next}
	for i, a := range list {
		resp.ApplicationList[i] = application{Applicant: a.UserID, ApplyMsg: a.Message, ApplyTime: a.Time}
	}
	return resp, nil
}

type decideReq struct {
	GroupID   string `json:"GroupId"`
	Applicant string `json:"Applicant_Account"`
	Reason    string `json:"Reason"`
}

func (g *groupClient) decide(approve bool) func(context.Context, groupCall, *decideReq) (*done, error) {
	return func(ctx context.Context, c groupCall, req *decideReq) (*done, error) {
		return &done{}, g.svc.Decide(ctx, c.App, c.By, req.GroupID, req.Applicant, approve, req.Reason, c.Now)
	}
}

type inviteReq struct {
	GroupID    string `json:"GroupId"`
	MemberList []struct {
		Member string `json:"Member_Account"`
	} `json:"MemberList"`
}

type memberResult struct {
	Member string `json:"Member_Account"`
	Result int    `json:"Result"`
}

type inviteResp struct {
	MemberList []memberResult `json:"MemberList"`
}

// invite adds members as the user, where the group type lets members
// invite (Work, Community).
func (g *groupClient) invite(ctx context.Context, c groupCall, req *inviteReq) (*inviteResp, error) {
	ids := make([]string, len(req.MemberList))
	for i, m := range req.MemberList {
		ids[i] = m.Member
	}
	results, err := g.svc.AddMembers(ctx, c.App, c.By, req.GroupID, ids, false, c.Now)
	if err != nil {
		return nil, err
	}
	resp := &inviteResp{MemberList: make([]memberResult, len(results))}
	for i, r := range results {
		resp.MemberList[i] = memberResult{Member: r.UserID, Result: r.Result}
	}
	return resp, nil
}

type kickReq struct {
	GroupID string   `json:"GroupId"`
	Members []string `json:"MemberToDel_Account"`
	Reason  string   `json:"Reason"`
}

func (g *groupClient) kick(ctx context.Context, c groupCall, req *kickReq) (*done, error) {
	return &done{}, g.svc.RemoveMembers(ctx, c.App, c.By, req.GroupID, req.Members, req.Reason, false)
}

func (g *groupClient) leave(ctx context.Context, c groupCall, req *groupIDReq) (*done, error) {
	return &done{}, g.svc.Quit(ctx, c.App.SDKAppID, c.By.UserID, req.GroupID)
}

type muteReq struct {
	GroupID  string   `json:"GroupId"`
	Members  []string `json:"Members_Account"`
	MuteTime *int64   `json:"MuteTime"`
	TopicID  string   `json:"TopicId"`
}

// mute mutes members for MuteTime seconds, or unmutes them with 0.
func (g *groupClient) mute(ctx context.Context, c groupCall, req *muteReq) (*done, error) {
	if req.MuteTime == nil {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "MuteTime is required: seconds from now, 0 to unmute"}
	}
	return &done{}, g.svc.Mute(ctx, c.App, c.By, req.GroupID, req.TopicID, req.Members, *req.MuteTime, c.Now)
}

type changeOwnerReq struct {
	GroupID  string `json:"GroupId"`
	NewOwner string `json:"NewOwner_Account"`
}

func (g *groupClient) changeOwner(ctx context.Context, c groupCall, req *changeOwnerReq) (*done, error) {
	return &done{}, g.svc.ChangeOwner(ctx, c.App, c.By, req.GroupID, req.NewOwner, c.Now)
}

type modifyInfoReq struct {
	GroupID         string  `json:"GroupId"`
	Name            *string `json:"Name"`
	Introduction    *string `json:"Introduction"`
	Notification    *string `json:"Notification"`
	FaceURL         *string `json:"FaceUrl"`
	MaxMemberNum    *int    `json:"MaxMemberNum"`
	ApplyJoinOption *string `json:"ApplyJoinOption"`
	MuteAllMember   *string `json:"MuteAllMember"`
	AppDefinedData  []im.KV `json:"AppDefinedData"`
}

func (g *groupClient) modifyInfo(ctx context.Context, c groupCall, req *modifyInfoReq) (*done, error) {
	mute, err := group.ParseOnOff("MuteAllMember", req.MuteAllMember)
	if err != nil {
		return nil, err
	}
	ch := group.InfoChange{
		Name: req.Name, Introduction: req.Introduction, Notification: req.Notification, FaceURL: req.FaceURL,
		MaxMemberNum: req.MaxMemberNum, ApplyJoinOption: req.ApplyJoinOption, MuteAllMember: mute,
		AppDefinedData: req.AppDefinedData,
	}
	return &done{}, g.svc.ModifyInfo(ctx, c.App, c.By, req.GroupID, ch, c.Now)
}

type modifyMemberReq struct {
	GroupID              string  `json:"GroupId"`
	Member               string  `json:"Member_Account"`
	Role                 *string `json:"Role"`
	MsgFlag              *string `json:"MsgFlag"`
	NameCard             *string `json:"NameCard"`
	AppMemberDefinedData []im.KV `json:"AppMemberDefinedData"`
	MuteTime             *int64  `json:"MuteTime"`
}

func (g *groupClient) modifyMember(ctx context.Context, c groupCall, req *modifyMemberReq) (*done, error) {
	ch := group.MemberChange{Role: req.Role, MsgFlag: req.MsgFlag, NameCard: req.NameCard,
		AppMemberDefinedData: req.AppMemberDefinedData, MuteTime: req.MuteTime}
	return &done{}, g.svc.ModifyMember(ctx, c.App, c.By, req.GroupID, req.Member, ch, c.Now)
}
