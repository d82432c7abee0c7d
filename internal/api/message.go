package api

import (
	"context"
	"encoding/json"
	"errors"
	"math"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// messageAPI is the group half of rest-messages.md: sending, importing,
// pulling, recalling and modifying group messages, system notifications,
// broadcasts and read receipts.
type messageAPI struct{ svc *message.Service }

func (a messageAPI) commands() []Command {
	broadcast := command("v4/group_open_http_svc/send_broadcast_msg", 1, groupDomain, a.broadcast)
	// Its own page names 10023 for calling it too often.
	broadcast.LimitCode = im.CodeGroupMsgRateLimit
	return []Command{
		command("v4/group_open_http_svc/send_group_msg", 200, groupDomain, a.send),
		command("v4/group_open_http_svc/group_msg_get_simple", 200, groupDomain, a.history),
		command("v4/group_open_http_svc/send_group_system_notification", 200, groupDomain, a.notify),
		broadcast,
		command("v4/group_open_http_svc/import_group_msg", 200, groupDomain, a.importMsgs),
		command("v4/group_open_http_svc/group_msg_recall", 200, groupDomain, a.recall),
		command("v4/group_open_http_svc/delete_group_msg_by_sender", 200, groupDomain, a.deleteBySender),
		command("v4/openim/modify_group_msg", 200, c2cDomain, a.modify),
		command("v4/group_open_http_svc/get_group_msg_receipt", 200, groupDomain, a.receipts),
		command("v4/group_open_http_svc/get_group_msg_receipt_detail", 200, groupDomain, a.receiptDetail),
	}
}

type sendGroupMsgReq struct {
	GroupId                 string
	Random                  *int64
	MsgPriority             string
	MsgBody                 []im.MsgElem
	From_Account            string
	OfflinePushInfo         json.RawMessage
	ForbidCallbackControl   []string
	OnlineOnlyFlag          int
	SendMsgControl          []string
	CloudCustomData         string
	SupportMessageExtension int
	To_Account              []string
	TopicId                 string
	NeedReadReceipt         int
	GroupAtInfo             []message.GroupAt
}

type sendGroupMsgResp struct {
	MsgTime int64
	MsgSeq  int64
	// MsgDropReason is "MsgFreqCtrl" for a message accepted past the
	// group's rate and dropped (MsgSeq 0), "" otherwise.
	MsgDropReason string
}

// msgFreqCtrl is the MsgDropReason of a message over the group's rate.
const msgFreqCtrl = "MsgFreqCtrl"

func (a messageAPI) send(ctx context.Context, call *Call, req *sendGroupMsgReq) (*sendGroupMsgResp, error) {
	if req.Random == nil || *req.Random < 0 || *req.Random > math.MaxUint32 {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "Random is required: an unsigned 32-bit integer"}
	}
	for _, f := range []struct {
		name  string
		value int
	}{{"OnlineOnlyFlag", req.OnlineOnlyFlag}, {"SupportMessageExtension", req.SupportMessageExtension}, {"NeedReadReceipt", req.NeedReadReceipt}} {
		if f.value != 0 && f.value != 1 {
			return nil, im.Errorf(im.CodeGroupBadParam, "%s must be 0 or 1", f.name)
		}
	}
	from := req.From_Account
	if from == "" {
		from = call.Identifier
	}
	in := message.SendInput{
		GroupID: req.GroupId, TopicID: req.TopicId, From: from, FromAdmin: call.App.IsAdmin(from),
		Random: uint32(*req.Random), Priority: req.MsgPriority, CloudCustomData: req.CloudCustomData,
		OfflinePushInfo: nullable(req.OfflinePushInfo), OnlineOnly: req.OnlineOnlyFlag == 1, SendMsgControl: req.SendMsgControl,
		To: req.To_Account, GroupAt: req.GroupAtInfo, Body: req.MsgBody,
		NeedReadReceipt: req.NeedReadReceipt == 1, SupportExtension: req.SupportMessageExtension == 1,
		Callbacks: message.ForbidCallbacks(req.ForbidCallbackControl),
	}
	sent, err := a.svc.Send(ctx, call.App.SDKAppID, in, call.Now)
	var e *im.Error
	if errors.As(err, &e) && e.Code == im.CodeGroupMsgRateLimit {
		// A REST send over the rate is accepted and dropped, not refused.
		return &sendGroupMsgResp{MsgTime: call.Now.Unix(), MsgDropReason: msgFreqCtrl}, nil
	}
	if err != nil {
		return nil, err
	}
	return &sendGroupMsgResp{MsgTime: sent.Time, MsgSeq: sent.Seq}, nil
}

// nullable treats a JSON null as absent.
func nullable(raw json.RawMessage) json.RawMessage {
	if string(raw) == "null" {
		return nil
	}
	return raw
}

type historyReq struct {
	GroupId         string
	ReqMsgNumber    int
	ReqMsgSeq       *int64
	WithRecalledMsg int
	TopicId         string
}

type historyMsg struct {
	From_Account    string
	IsPlaceMsg      int
	IsSystemMsg     int
	MsgPriority     int
	MsgRandom       uint32
	MsgSeq          int64
	MsgTimeStamp    int64
	MsgBody         json.RawMessage
	CloudCustomData string `json:",omitempty"`
}

type historyResp struct {
	GroupId    string
	IsFinished int
	RspMsgList []historyMsg
}

// isPlaceRecalled is IsPlaceMsg of a recalled message.
const isPlaceRecalled = 2

func (a messageAPI) history(ctx context.Context, call *Call, req *historyReq) (*historyResp, error) {
	if req.WithRecalledMsg != 0 && req.WithRecalledMsg != 1 {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "WithRecalledMsg must be 0 or 1"}
	}
	page, err := a.svc.History(ctx, call.App.SDKAppID, message.HistoryInput{
		GroupID: req.GroupId, TopicID: req.TopicId, MaxSeq: req.ReqMsgSeq, Want: req.ReqMsgNumber,
		WithRecalled: req.WithRecalledMsg == 1,
	})
	if err != nil {
		return nil, err
	}
	resp := &historyResp{GroupId: req.GroupId, IsFinished: boolInt(page.Finished), RspMsgList: make([]historyMsg, len(page.Messages))}
	for i, m := range page.Messages {
		resp.RspMsgList[i] = historyMsg{
			From_Account: m.From, MsgPriority: m.Priority, MsgRandom: m.Random, MsgSeq: m.Seq,
			MsgTimeStamp: m.Time, MsgBody: m.Body, CloudCustomData: m.CloudCustomData,
		}
		if m.Recalled {
			resp.RspMsgList[i].IsPlaceMsg = isPlaceRecalled // its body is gone: []
		}
	}
	return resp, nil
}
