package api

import (
	"context"

	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
)

// muteCommands mute members and list the mutes, the list under its
// current and its legacy name (S11).
func (a groupAPI) muteCommands() []Command {
	return []Command{
		command("v4/group_open_http_svc/forbid_send_msg", 200, groupDomain, a.mute),
		command("v4/group_open_http_svc/get_group_muted_account", 200, groupDomain, a.muted(false)),
		command("v4/group_open_http_svc/get_group_shutted_uin", 200, groupDomain, a.muted(true)),
	}
}

type muteReq struct {
	GroupId         string
	Members_Account []string
	MuteTime        *int64
	ShutUpTime      *int64 // legacy name of MuteTime (S11)
	TopicId         string
}

func (a groupAPI) mute(ctx context.Context, call *Call, req *muteReq) (*empty, error) {
	seconds := muteSeconds(req.MuteTime, req.ShutUpTime)
	if seconds == nil {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "MuteTime is required: seconds from now, 0 to unmute"}
	}
	err := a.svc.Mute(ctx, call.App, group.AppAdmin(call.Identifier), req.GroupId, req.TopicId, nonNil(req.Members_Account), *seconds, call.Now)
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type mutedReq struct {
	GroupId string
	TopicId string
}

type mutedAccount struct {
	Member_Account string
	MutedUntil     int64
}

type shuttedAccount struct {
	Member_Account string
	ShuttedUntil   int64
}

// mutedResp holds one of the two lists, empty ones included: the path
// decides which.
type mutedResp struct {
	GroupId          string
	MutedAccountList *[]mutedAccount   `json:",omitempty"`
	ShuttedUinList   *[]shuttedAccount `json:",omitempty"`
}

// muted is get_group_muted_account, or with legacy its older form
// get_group_shutted_uin, which names the list and the end time the old way.
func (a groupAPI) muted(legacy bool) func(ctx context.Context, call *Call, req *mutedReq) (*mutedResp, error) {
	return func(ctx context.Context, call *Call, req *mutedReq) (*mutedResp, error) {
		mutes, err := a.svc.Muted(ctx, call.App.SDKAppID, req.GroupId, req.TopicId, call.Now)
		if err != nil {
			return nil, err
		}
		resp := &mutedResp{GroupId: req.GroupId}
		if legacy {
			list := make([]shuttedAccount, len(mutes))
			for i, m := range mutes {
				list[i] = shuttedAccount{Member_Account: m.UserID, ShuttedUntil: m.Until}
			}
			resp.ShuttedUinList = &list
			return resp, nil
		}
		list := make([]mutedAccount, len(mutes))
		for i, m := range mutes {
			list[i] = mutedAccount{Member_Account: m.UserID, MutedUntil: m.Until}
		}
		resp.MutedAccountList = &list
		return resp, nil
	}
}
