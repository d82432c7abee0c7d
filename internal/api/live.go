package api

import (
	"context"
	"math"
	"time"

	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
)

// liveAPI is the Live group management section of rest-groups.md plus the
// ban/unban commands it depends on.
type liveAPI struct {
	svc      *group.Service
	accounts interface {
		GetAccounts(ctx context.Context, appID uint64, userIDs []string) (map[string]im.Account, error)
	}
}

func (a liveAPI) commands() []Command {
	return []Command{
		command("v4/group_open_http_svc/get_online_member_num", 200, groupDomain, a.onlineNum),
		command("v4/group_open_avchatroom_http_svc/get_members", 200, groupDomain, a.members),
		command("v4/group_open_avchatroom_http_svc/modify_user_info", 200, groupDomain, a.marks),
		command("v4/group_open_http_svc/ban_group_member", 200, groupDomain, a.ban),
		command("v4/group_open_http_svc/unban_group_member", 200, groupDomain, a.unban),
		command("v4/group_open_http_svc/get_group_ban_member", 200, groupDomain, a.bans),
	}
}

type onlineNumResp struct {
	OnlineMemberNum int
}

func (a liveAPI) onlineNum(ctx context.Context, call *Call, req *groupIDReq) (*onlineNumResp, error) {
	n, err := a.svc.OnlineCount(ctx, call.App.SDKAppID, req.GroupId)
	if err != nil {
		return nil, err
	}
	return &onlineNumResp{OnlineMemberNum: n}, nil
}

type membersReq struct {
	GroupId   string
	Timestamp *int64
	Mark      int
}

type onlineMember struct {
	Member_Account string
	JoinTime       int64
	NickName       string
	Avatar         string
}

type membersResp struct {
	MemberList    []onlineMember
	NextTimestamp int64
}

func (a liveAPI) members(ctx context.Context, call *Call, req *membersReq) (*membersResp, error) {
	if req.Timestamp == nil || *req.Timestamp < 0 {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "Timestamp is required: 0 for the first page, then NextTimestamp"}
	}
	if req.GroupId == "" {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "GroupId is required"}
	}
	online, next, err := a.svc.OnlineMembers(ctx, call.App.SDKAppID, req.GroupId, req.Mark, *req.Timestamp)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(online))
	for i, m := range online {
		ids[i] = m.UserID
	}
	profiles, err := a.accounts.GetAccounts(ctx, call.App.SDKAppID, ids)
	if err != nil {
		return nil, err
	}
	resp := &membersResp{MemberList: make([]onlineMember, len(online)), NextTimestamp: next}
	for i, m := range online {
		p := profiles[m.UserID]
		resp.MemberList[i] = onlineMember{Member_Account: m.UserID, JoinTime: m.JoinTime, NickName: p.Nick, Avatar: p.FaceURL}
	}
	return resp, nil
}

// Mark commands of modify_user_info.
const (
	markAdd    = 1
	markRemove = 2
)

type markEntry struct {
	Member_Account string
	Marks          []int
}

type marksReq struct {
	GroupId     string
	CommandType int
	MemberList  []markEntry
}

type marksResp struct {
	CommandType int
	MemberList  []markEntry
}

func (a liveAPI) marks(ctx context.Context, call *Call, req *marksReq) (*marksResp, error) {
	if req.CommandType != markAdd && req.CommandType != markRemove {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "CommandType must be 1 (add) or 2 (remove)"}
	}
	changes := make([]group.MarkChange, len(req.MemberList))
	for i, m := range req.MemberList {
		changes[i] = group.MarkChange{UserID: m.Member_Account, Marks: m.Marks}
	}
	applied, err := a.svc.SetMarks(ctx, call.App.SDKAppID, req.GroupId, req.CommandType == markAdd, changes)
	if err != nil {
		return nil, err
	}
	resp := &marksResp{CommandType: req.CommandType, MemberList: make([]markEntry, len(applied))}
	for i, c := range applied {
		resp.MemberList[i] = markEntry{Member_Account: c.UserID, Marks: c.Marks}
	}
	return resp, nil
}

type banReq struct {
	GroupId         string
	Members_Account []string
	Duration        *int64
	Description     string
}

func (a liveAPI) ban(ctx context.Context, call *Call, req *banReq) (*empty, error) {
	if req.Duration == nil || *req.Duration < 0 || *req.Duration > math.MaxUint32 {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "Duration is required: ban length in seconds (unsigned 32-bit)"}
	}
	err := a.svc.Ban(ctx, call.App.Enabled(group.FeatureLiveBan), call.App.SDKAppID, req.GroupId,
		nonNil(req.Members_Account), time.Duration(*req.Duration)*time.Second, req.Description, call.Now)
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type unbanReq struct {
	GroupId         string
	Members_Account []string
}

func (a liveAPI) unban(ctx context.Context, call *Call, req *unbanReq) (*empty, error) {
	err := a.svc.Unban(ctx, call.App.Enabled(group.FeatureLiveBan), call.App.SDKAppID, req.GroupId, nonNil(req.Members_Account))
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type bansReq struct {
	GroupId string
	Limit   *int
	Offset  *int
}

type bannedAccount struct {
	Member_Account string
	BannedUntil    int64
}

type bansResp struct {
	BannedAccountList []bannedAccount
	NextOffset        int
}

func (a liveAPI) bans(ctx context.Context, call *Call, req *bansReq) (*bansResp, error) {
	limit := group.MaxBanPage
	if req.Limit != nil {
		limit = *req.Limit
	}
	if limit <= 0 || limit > group.MaxBanPage || req.Offset == nil || *req.Offset < 0 {
		return nil, im.Errorf(im.CodeGroupBadParam, "Offset is required and Limit must be 1 to %d", group.MaxBanPage)
	}
	list, next, err := a.svc.Bans(ctx, call.App.Enabled(group.FeatureLiveBan), call.App.SDKAppID, req.GroupId, *req.Offset, limit, call.Now)
	if err != nil {
		return nil, err
	}
	resp := &bansResp{BannedAccountList: make([]bannedAccount, len(list)), NextOffset: next}
	for i, b := range list {
		resp.BannedAccountList[i] = bannedAccount{Member_Account: b.UserID, BannedUntil: b.Until}
	}
	return resp, nil
}
