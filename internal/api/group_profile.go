package api

import (
	"context"

	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
)

type modifyGroupReq struct {
	GroupId         string
	Name            *string
	Introduction    *string
	Notification    *string
	FaceUrl         *string
	MaxMemberNum    *int
	ApplyJoinOption *string
	AppDefinedData  []im.KV
	MuteAllMember   *string
	ShutUpAllMember *string // legacy name of MuteAllMember (S11)
}

// onOffSwitch reads an On/Off field, the current name winning over the
// legacy one; nil when neither is given.
func onOffSwitch(field string, current, legacy *string) (*bool, error) {
	if current == nil {
		current = legacy
	}
	return group.ParseOnOff(field, current)
}

func (a groupAPI) modify(ctx context.Context, call *Call, req *modifyGroupReq) (*empty, error) {
	mute, err := onOffSwitch("MuteAllMember", req.MuteAllMember, req.ShutUpAllMember)
	if err != nil {
		return nil, err
	}
	ch := group.InfoChange{
		Name: req.Name, Introduction: req.Introduction, Notification: req.Notification, FaceURL: req.FaceUrl,
		MaxMemberNum: req.MaxMemberNum, ApplyJoinOption: req.ApplyJoinOption, MuteAllMember: mute,
		AppDefinedData: req.AppDefinedData,
	}
	if err := a.svc.ModifyInfo(ctx, call.App, group.AppAdmin(call.Identifier), req.GroupId, ch, call.Now); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type importGroupReq struct {
	groupProfileReq
	CreateTime int64
}

type importGroupResp struct {
	GroupId string
}

func (a groupAPI) importGroup(ctx context.Context, call *Call, req *importGroupReq) (*importGroupResp, error) {
	in, err := req.input()
	if err != nil {
		return nil, err
	}
	in.CreateTime = req.CreateTime
	g, err := a.svc.Import(ctx, call.App, in, call.Now)
	if err != nil {
		return nil, err
	}
	return &importGroupResp{GroupId: g.ID}, nil
}
