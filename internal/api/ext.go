package api

import (
	"context"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// extDomain is the message extension area (openim_msg_ext_http_svc): it
// answers with the group area's codes, 10004 and 10002.
var extDomain = Domain{BadParam: im.CodeExtBadParam, Internal: im.CodeExtInternal}

// extAPI is the message extension half of rest-messages.md.
type extAPI struct{ svc *message.Service }

func (a extAPI) commands() []Command {
	return []Command{
		command("v4/openim_msg_ext_http_svc/get_key_values", 200, extDomain, a.c2cGet),
		command("v4/openim_msg_ext_http_svc/set_key_values", 200, extDomain, a.c2cSet),
		command("v4/openim_msg_ext_http_svc/group_get_key_values", 200, extDomain, a.groupGet),
		command("v4/openim_msg_ext_http_svc/group_set_key_values", 200, extDomain, a.groupSet),
	}
}

// c2cExtMsg names a one-to-one message; From_Account defaults to the
// calling admin, as in sendmsg.
type c2cExtMsg struct {
	From_Account string
	To_Account   string
	MsgKey       string
}

func (m c2cExtMsg) msg(call *Call) message.ExtMsg {
	from := m.From_Account
	if from == "" {
		from = call.Identifier
	}
	return message.ExtMsg{From: from, To: m.To_Account, MsgKey: m.MsgKey}
}

// groupExtMsg names a group message.
type groupExtMsg struct {
	GroupId string
	MsgSeq  int64
}

func (m groupExtMsg) msg() message.ExtMsg {
	return message.ExtMsg{GroupID: m.GroupId, MsgSeq: m.MsgSeq}
}

// extWrite is what every write takes besides the message.
type extWrite struct {
	OperateType   int
	ExtensionList []im.MsgExt
}

type c2cExtGetReq struct {
	c2cExtMsg
	StartSeq int64
}

type groupExtGetReq struct {
	groupExtMsg
	StartSeq int64
}

type c2cExtSetReq struct {
	c2cExtMsg
	extWrite
}

type groupExtSetReq struct {
	groupExtMsg
	extWrite
}

type extGetResp struct {
	ExtensionList []im.MsgExt
	CompleteFlag  int
	LatestSeq     int64
	ClearSeq      int64
}

type extResult struct {
	ErrorCode int
	Extension im.MsgExt
}

type extSetResp struct {
	ExtensionList []extResult
}

func (a extAPI) c2cGet(ctx context.Context, call *Call, req *c2cExtGetReq) (*extGetResp, error) {
	return a.get(ctx, call, req.msg(call), req.StartSeq)
}

func (a extAPI) groupGet(ctx context.Context, call *Call, req *groupExtGetReq) (*extGetResp, error) {
	return a.get(ctx, call, req.msg(), req.StartSeq)
}

func (a extAPI) c2cSet(ctx context.Context, call *Call, req *c2cExtSetReq) (*extSetResp, error) {
	return a.set(ctx, call, req.msg(call), req.extWrite)
}

func (a extAPI) groupSet(ctx context.Context, call *Call, req *groupExtSetReq) (*extSetResp, error) {
	return a.set(ctx, call, req.msg(), req.extWrite)
}

// get pulls as the app: every REST caller is an app admin.
func (a extAPI) get(ctx context.Context, call *Call, msg message.ExtMsg, startSeq int64) (*extGetResp, error) {
	page, err := a.svc.Extensions(ctx, call.App.SDKAppID, call.App.Enabled(message.FeatureExtensions),
		message.ExtCaller{UserID: call.Identifier, Admin: true}, msg, startSeq)
	if err != nil {
		return nil, err
	}
	return &extGetResp{ExtensionList: nonNil(page.Pairs), CompleteFlag: boolInt(page.Complete),
		LatestSeq: page.LatestSeq, ClearSeq: page.ClearSeq}, nil
}

// set writes as the app, so no pair's Seq is checked.
func (a extAPI) set(ctx context.Context, call *Call, msg message.ExtMsg, w extWrite) (*extSetResp, error) {
	done, err := a.svc.WriteExtensions(ctx, call.App.SDKAppID, call.App.Enabled(message.FeatureExtensions),
		message.ExtCaller{UserID: call.Identifier, Admin: true},
		message.ExtWrite{Msg: msg, Op: w.OperateType, Pairs: w.ExtensionList}, call.Now)
	if err != nil {
		return nil, err
	}
	resp := &extSetResp{ExtensionList: make([]extResult, len(done.Results))}
	for i, r := range done.Results {
		resp.ExtensionList[i] = extResult{ErrorCode: r.Code, Extension: r.Ext}
	}
	return resp, nil
}
