package api

import (
	"context"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// The one-to-one commands that work on stored messages: import, history,
// recall and modification.

type importMsgReq struct {
	SyncFromOldSystem *int
	From_Account      string
	To_Account        string
	MsgSeq            *int64
	MsgRandom         *int64
	MsgTimeStamp      *int64
	MsgBody           []im.MsgElem
	CloudCustomData   string
}

// importMsg stores one message of another system's history (SyncFromOldSystem
// 2) or a message to deliver as well (5).
func (a c2cAPI) importMsg(ctx context.Context, call *Call, req *importMsgReq) (*empty, error) {
	if req.SyncFromOldSystem == nil || *req.SyncFromOldSystem != 2 && *req.SyncFromOldSystem != 5 {
		return nil, &im.Error{Code: im.CodeMsgSyncFromOld, Info: "SyncFromOldSystem is required: 2 (history) or 5 (real time)"}
	}
	random, err := requiredRandom(req.MsgRandom)
	if err != nil {
		return nil, err
	}
	seq, err := uint32Field(req.MsgSeq, "MsgSeq", im.CodeMsgSeqInvalid)
	if err != nil {
		return nil, err
	}
	if req.MsgTimeStamp == nil {
		return nil, &im.Error{Code: im.CodeMsgTimeInvalid, Info: "MsgTimeStamp is required: the message's Unix time"}
	}
	if req.MsgBody == nil {
		return nil, &im.Error{Code: im.CodeMsgBodyNotArray, Info: "MsgBody is required: an array of message elements"}
	}
	if err := a.svc.RequireAccounts(ctx, call.App.SDKAppID, call.App.IsAdmin,
		message.Party{Field: "From_Account", UserID: req.From_Account, Code: im.CodeMsgFromAccount},
		message.Party{Field: "To_Account", UserID: req.To_Account, Code: toAccountCode(req.To_Account)},
	); err != nil {
		return nil, err
	}
	return done(a.svc.ImportC2C(ctx, call.App.SDKAppID, message.ImportC2CInput{
		From: req.From_Account, To: req.To_Account, Seq: seq, Random: random, Time: *req.MsgTimeStamp,
		Body: req.MsgBody, CloudCustomData: req.CloudCustomData, Realtime: *req.SyncFromOldSystem == 5,
	}, call.Now))
}

// toAccountCode is how the import and modification tables answer a
// To_Account: 90003 when it is missing, 90012 when it is not an account.
func toAccountCode(to string) int {
	if to == "" {
		return im.CodeMsgToAccount
	}
	return im.CodeMsgToNotFound
}

type roamReq struct {
	Operator_Account string
	Peer_Account     string
	// From_Account and To_Account are older clients' names for
	// Operator_Account and Peer_Account.
	From_Account string
	To_Account   string
	MaxCnt       int
	MinTime      int64
	MaxTime      *int64
	LastMsgKey   string
}

type roamResp struct {
	Complete    int
	MsgCnt      int
	LastMsgTime int64
	LastMsgKey  string
	MsgList     []message.RoamMsg
}

// roam pulls one side's history of a conversation, newest page first.
func (a c2cAPI) roam(ctx context.Context, call *Call, req *roamReq) (*roamResp, error) {
	in := message.RoamInput{Owner: or(req.Operator_Account, req.From_Account), Peer: or(req.Peer_Account, req.To_Account),
		Want: req.MaxCnt, MinTime: req.MinTime, MaxTime: message.NoMaxTime, LastKey: req.LastMsgKey}
	if req.MaxTime != nil {
		in.MaxTime = *req.MaxTime
	}
	if err := a.svc.RequireAccounts(ctx, call.App.SDKAppID, call.App.IsAdmin,
		message.Party{Field: "Operator_Account", UserID: in.Owner, Code: im.CodeMsgFromAccount},
		message.Party{Field: "Peer_Account", UserID: in.Peer, Code: im.CodeMsgToAccount},
	); err != nil {
		return nil, err
	}
	page, err := a.svc.RoamC2C(ctx, call.App.SDKAppID, in)
	if err != nil {
		return nil, err
	}
	list := page.List()
	return &roamResp{Complete: boolInt(page.Complete), MsgCnt: len(list), LastMsgTime: page.LastTime, LastMsgKey: page.LastKey, MsgList: list}, nil
}

// or is a field under its current name, or else under its older one.
func or(current, older string) string {
	if current != "" {
		return current
	}
	return older
}

// msgRef is how the recall and modification commands address a message.
type msgRef struct {
	From_Account string
	To_Account   string
	MsgKey       string
}

// ref checks the parties of a message address (fromCode and toCode answer
// a missing or unknown sender and recipient) and returns it.
func (a c2cAPI) ref(ctx context.Context, call *Call, r msgRef, fromCode, toCode int) (message.C2CRef, error) {
	if r.MsgKey == "" {
		return message.C2CRef{}, &im.Error{Code: im.CodeMsgKeyInvalid, Info: "MsgKey is required"}
	}
	err := a.svc.RequireAccounts(ctx, call.App.SDKAppID, call.App.IsAdmin,
		message.Party{Field: "From_Account", UserID: r.From_Account, Code: fromCode},
		message.Party{Field: "To_Account", UserID: r.To_Account, Code: toCode})
	return message.C2CRef{From: r.From_Account, To: r.To_Account, Key: r.MsgKey}, err
}

// withdraw recalls any one-to-one message, whatever its age.
func (a c2cAPI) withdraw(ctx context.Context, call *Call, req *msgRef) (*empty, error) {
	ref, err := a.ref(ctx, call, *req, im.CodeMsgFromAccount, im.CodeMsgToAccount)
	if err != nil {
		return nil, err
	}
	return done(a.svc.RecallC2C(ctx, call.App.SDKAppID, ref, 0, call.Now))
}

type modifyC2CReq struct {
	From_Account    string
	To_Account      string
	MsgKey          string
	MsgBody         []im.MsgElem
	CloudCustomData *string
}

// modify replaces the body and/or the custom data of a stored message.
func (a c2cAPI) modify(ctx context.Context, call *Call, req *modifyC2CReq) (*empty, error) {
	ref, err := a.ref(ctx, call, msgRef{req.From_Account, req.To_Account, req.MsgKey}, im.CodeC2CAccount, toAccountCode(req.To_Account))
	if err != nil {
		return nil, err
	}
	return done(a.svc.ModifyC2C(ctx, call.App.SDKAppID, ref, req.MsgBody, req.CloudCustomData, call.Now))
}
