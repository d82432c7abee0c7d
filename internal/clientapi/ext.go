package clientapi

import (
	"context"

	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// extOps are message extensions from a client: the fields and codes of
// the REST commands (rest-messages.md S9), as a party of the one-to-one
// message or a member of the group, with every pair's Seq checked.
func extOps(s Services) map[string]gateway.Op {
	e := extClient(s)
	return map[string]gateway.Op{
		"set_c2c_ext":   op(im.CodeExtBadParam, im.CodeExtInternal, e.setC2C),
		"get_c2c_ext":   op(im.CodeExtBadParam, im.CodeExtInternal, e.getC2C),
		"set_group_ext": op(im.CodeExtBadParam, im.CodeExtInternal, e.setGroup),
		"get_group_ext": op(im.CodeExtBadParam, im.CodeExtInternal, e.getGroup),
	}
}

type extClient Services

type c2cExtMsg struct {
	From   string `json:"From_Account"`
	To     string `json:"To_Account"`
	MsgKey string `json:"MsgKey"`
}

func (m c2cExtMsg) msg() message.ExtMsg {
	return message.ExtMsg{From: m.From, To: m.To, MsgKey: m.MsgKey}
}

type groupExtMsg struct {
	GroupID string `json:"GroupId"`
	MsgSeq  int64  `json:"MsgSeq"`
}

func (m groupExtMsg) msg() message.ExtMsg {
	return message.ExtMsg{GroupID: m.GroupID, MsgSeq: m.MsgSeq}
}

// extWrite is what every write takes besides the message.
type extWrite struct {
	OperateType   int         `json:"OperateType"`
	ExtensionList []im.MsgExt `json:"ExtensionList"`
}

type c2cExtSetReq struct {
	c2cExtMsg
	extWrite
}

type groupExtSetReq struct {
	groupExtMsg
	extWrite
}

type c2cExtGetReq struct {
	c2cExtMsg
	StartSeq int64 `json:"StartSeq"`
}

type groupExtGetReq struct {
	groupExtMsg
	StartSeq int64 `json:"StartSeq"`
}

type extResult struct {
	ErrorCode int       `json:"ErrorCode"`
	Extension im.MsgExt `json:"Extension"`
}

// extSetResp is set_key_values's reply plus the message's versions after
// the write, so a client need not pull to learn them.
type extSetResp struct {
	ExtensionList []extResult `json:"ExtensionList"`
	LatestSeq     int64       `json:"LatestSeq"`
	ClearSeq      int64       `json:"ClearSeq"`
}

type extGetResp struct {
	ExtensionList []im.MsgExt `json:"ExtensionList"`
	CompleteFlag  int         `json:"CompleteFlag"`
	LatestSeq     int64       `json:"LatestSeq"`
	ClearSeq      int64       `json:"ClearSeq"`
}

func (e extClient) setC2C(ctx context.Context, s *gateway.Session, req *c2cExtSetReq) (*extSetResp, error) {
	return e.set(ctx, s, req.c2cExtMsg.msg(), req.extWrite)
}

func (e extClient) setGroup(ctx context.Context, s *gateway.Session, req *groupExtSetReq) (*extSetResp, error) {
	return e.set(ctx, s, req.groupExtMsg.msg(), req.extWrite)
}

func (e extClient) getC2C(ctx context.Context, s *gateway.Session, req *c2cExtGetReq) (*extGetResp, error) {
	return e.get(ctx, s, req.c2cExtMsg.msg(), req.StartSeq)
}

func (e extClient) getGroup(ctx context.Context, s *gateway.Session, req *groupExtGetReq) (*extGetResp, error) {
	return e.get(ctx, s, req.groupExtMsg.msg(), req.StartSeq)
}

func (e extClient) set(ctx context.Context, s *gateway.Session, msg message.ExtMsg, w extWrite) (*extSetResp, error) {
	done, err := e.Messages.WriteExtensions(ctx, s.AppID, Services(e).enabled(s.AppID, message.FeatureExtensions), message.ExtCaller{UserID: s.UserID},
		message.ExtWrite{Msg: msg, Op: w.OperateType, Pairs: w.ExtensionList}, e.Streams.Now())
	if err != nil {
		return nil, err
	}
	resp := &extSetResp{ExtensionList: make([]extResult, len(done.Results)), LatestSeq: done.LatestSeq, ClearSeq: done.ClearSeq}
	for i, r := range done.Results {
		resp.ExtensionList[i] = extResult{ErrorCode: r.Code, Extension: r.Ext}
	}
	return resp, nil
}

func (e extClient) get(ctx context.Context, s *gateway.Session, msg message.ExtMsg, startSeq int64) (*extGetResp, error) {
	page, err := e.Messages.Extensions(ctx, s.AppID, Services(e).enabled(s.AppID, message.FeatureExtensions), message.ExtCaller{UserID: s.UserID}, msg, startSeq)
	if err != nil {
		return nil, err
	}
	resp := &extGetResp{ExtensionList: page.Pairs, LatestSeq: page.LatestSeq, ClearSeq: page.ClearSeq}
	if resp.ExtensionList == nil {
		resp.ExtensionList = []im.MsgExt{}
	}
	if page.Complete {
		resp.CompleteFlag = 1
	}
	return resp, nil
}
