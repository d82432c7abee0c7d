package api

import (
	"context"
	"encoding/json"
	"math"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// c2cDomain is the one-to-one message area (openim): its requests are
// refused with 20001 and its internal errors answered with 91000.
var c2cDomain = Domain{BadParam: im.CodeC2CBadRequest, Internal: im.CodeMsgInternal}

// c2cAPI is the one-to-one half of rest-messages.md.
type c2cAPI struct{ svc *message.Service }

func (a c2cAPI) commands() []Command {
	return []Command{
		command("v4/openim/sendmsg", 200, c2cDomain, a.send),
	}
}

type sendMsgReq struct {
	SyncOtherMachine        int
	From_Account            string
	To_Account              *string
	MsgLifeTime             *int64
	OnlineOnlyFlag          int
	MsgSeq                  *int64
	MsgRandom               *int64
	MsgTimeStamp            int64 // accepted; the message takes the server's time
	ForbidCallbackControl   []string
	SendMsgControl          []string
	MsgBody                 []im.MsgElem
	CloudCustomData         string
	SupportMessageExtension int
	OfflinePushInfo         json.RawMessage
	IsNeedReadReceipt       int
}

type sendMsgResp struct {
	MsgTime int64
	MsgKey  string
}

func (a c2cAPI) send(ctx context.Context, call *Call, req *sendMsgReq) (*sendMsgResp, error) {
	if req.To_Account == nil || *req.To_Account == "" {
		return nil, im.Errorf(im.CodeMsgToAccount, "To_Account is required")
	}
	if req.MsgRandom == nil || *req.MsgRandom < 0 || *req.MsgRandom > math.MaxUint32 {
		return nil, im.Errorf(im.CodeMsgRandomInvalid, "MsgRandom is required: an unsigned 32-bit integer")
	}
	if req.MsgBody == nil {
		return nil, im.Errorf(im.CodeMsgBodyNotArray, "MsgBody is required: an array of message elements")
	}
	in := message.C2CInput{
		From: req.From_Account, To: []string{*req.To_Account}, Random: uint32(*req.MsgRandom), Body: req.MsgBody,
		CloudCustomData: req.CloudCustomData, OfflinePushInfo: nullable(req.OfflinePushInfo), SyncOtherMachine: req.SyncOtherMachine,
		LifeTime: req.MsgLifeTime, OnlineOnly: req.OnlineOnlyFlag == 1, SendMsgControl: req.SendMsgControl,
		SupportExtension: req.SupportMessageExtension == 1, NeedReadReceipt: req.IsNeedReadReceipt == 1,
	}
	if in.From == "" {
		in.From = call.Identifier
	}
	if req.MsgSeq != nil {
		if *req.MsgSeq < 0 || *req.MsgSeq > math.MaxUint32 {
			return nil, im.Errorf(im.CodeMsgSeqInvalid, "MsgSeq must be an unsigned 32-bit integer")
		}
		seq := uint32(*req.MsgSeq)
		in.Seq = &seq
	}
	sent, err := a.svc.SendC2C(ctx, call.App.SDKAppID, in, call.Now)
	if err != nil {
		return nil, err
	}
	if sent[0].Code != 0 {
		return nil, im.Errorf(im.CodeMsgToNotFound, "To_Account %s is not imported", *req.To_Account)
	}
	return &sendMsgResp{MsgTime: sent[0].Time, MsgKey: sent[0].Key}, nil
}
