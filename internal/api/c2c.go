package api

import (
	"context"
	"encoding/json"
	"maps"
	"math"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// c2cDomain is the one-to-one message area (openim): its requests are
// refused with 20001 and its internal errors answered with 91000. A field
// of the wrong JSON type has the code the endpoint tables give it.
var c2cDomain = Domain{BadParam: im.CodeC2CBadRequest, Internal: im.CodeMsgInternal, Fields: map[string]int{
	"MsgBody":           im.CodeMsgBodyNotArray,
	"MsgBody.MsgType":   im.CodeMsgBodyInvalid,
	"MsgRandom":         im.CodeMsgRandomInvalid,
	"MsgSeq":            im.CodeMsgSeqInvalid,
	"MsgTimeStamp":      im.CodeMsgTimeInvalid,
	"SyncOtherMachine":  im.CodeMsgSyncOther,
	"SyncFromOldSystem": im.CodeMsgSyncFromOld,
	"MsgLifeTime":       im.CodeMsgLifeTimeType,
	"From_Account":      im.CodeMsgFromAccount,
	"Operator_Account":  im.CodeMsgFromAccount,
	"Report_Account":    im.CodeMsgFromAccount,
	"To_Account":        im.CodeMsgToAccount,
	"Peer_Account":      im.CodeMsgToAccount,
	"MsgKey":            im.CodeMsgKeyInvalid,
	"LastMsgKey":        im.CodeMsgKeyInvalid,
}}

// batchDomain is c2cDomain for batchsendmsg, whose To_Account is a list:
// not one is 90028.
var batchDomain = withField(c2cDomain, "To_Account", im.CodeMsgBatchToNoArray)

func withField(d Domain, field string, code int) Domain {
	d.Fields = maps.Clone(d.Fields)
	d.Fields[field] = code
	return d
}

// c2cAPI is the one-to-one half of rest-messages.md.
type c2cAPI struct{ svc *message.Service }

func (a c2cAPI) commands() []Command {
	batch := batchAPI{svc: a.svc, quota: newRecipientQuota()}
	return []Command{
		capped(command("v4/openim/sendmsg", 200, c2cDomain, a.send)),
		capped(command("v4/openim/batchsendmsg", 200, batchDomain, batch.send)),
		capped(command("v4/openim/importmsg", 200, c2cDomain, a.importMsg)),
		command("v4/openim/admin_getroammsg", 200, c2cDomain, a.roam),
		command("v4/openim/admin_msgwithdraw", 200, c2cDomain, a.withdraw),
		command("v4/openim/modify_c2c_msg", 200, c2cDomain, a.modify),
		command("v4/openim/admin_set_msg_read", 200, c2cDomain, a.setRead),
		command("v4/openim/get_c2c_unread_msg_num", 200, c2cDomain, a.unread),
	}
}

// capped refuses a body over 12 KB before decoding it: the whole request
// of a one-to-one send or import is limited (rest-messages.md S1, 93000).
func capped(c Command) Command {
	handle := c.Handle
	c.Handle = func(ctx context.Context, call *Call, body []byte) (any, error) {
		if len(body) > message.MaxContentBytes {
			return nil, im.Errorf(im.CodeMsgRequestTooLong, "request body is %d bytes, over %d", len(body), message.MaxContentBytes)
		}
		return handle(ctx, call, body)
	}
	return c
}

// uint32Field reads an optional MsgSeq/MsgRandom-like number: nil when
// absent, code when it is not an unsigned 32-bit integer.
func uint32Field(v *int64, name string, code int) (*uint32, error) {
	if v == nil {
		return nil, nil
	}
	if *v < 0 || *v > math.MaxUint32 {
		return nil, im.Errorf(code, "%s must be an unsigned 32-bit integer", name)
	}
	n := uint32(*v)
	return &n, nil
}

// requiredRandom reads MsgRandom, which every send and import needs.
func requiredRandom(v *int64) (uint32, error) {
	r, err := uint32Field(v, "MsgRandom", im.CodeMsgRandomInvalid)
	if err == nil && r == nil {
		err = im.Errorf(im.CodeMsgRandomInvalid, "MsgRandom is required: an unsigned 32-bit integer")
	}
	if err != nil {
		return 0, err
	}
	return *r, nil
}

// done answers a command that returns no fields.
func done(err error) (*empty, error) {
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// sender is who sends: From_Account, or the calling admin without one.
func sender(call *Call, from string) string {
	if from == "" {
		return call.Identifier
	}
	return from
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
	in, err := c2cInput(call, req.From_Account, []string{*req.To_Account}, c2cFields{
		random: req.MsgRandom, seq: req.MsgSeq, body: req.MsgBody, custom: req.CloudCustomData, push: req.OfflinePushInfo,
		sync: req.SyncOtherMachine, life: req.MsgLifeTime, online: req.OnlineOnlyFlag, control: req.SendMsgControl,
		ext: req.SupportMessageExtension, receipt: req.IsNeedReadReceipt,
	})
	if err != nil {
		return nil, err
	}
	in.Callbacks = message.ForbidCallbacks(req.ForbidCallbackControl)
	sent, err := a.svc.SendC2C(ctx, call.App.SDKAppID, in, call.Now)
	if err != nil {
		return nil, err
	}
	if sent[0].Code != 0 {
		return nil, im.Errorf(im.CodeMsgToNotFound, "To_Account %s is not imported", *req.To_Account)
	}
	return &sendMsgResp{MsgTime: sent[0].Time, MsgKey: sent[0].Key}, nil
}

// c2cFields are the message fields sendmsg and batchsendmsg share.
type c2cFields struct {
	random, seq          *int64
	body                 []im.MsgElem
	custom               string
	push                 json.RawMessage
	sync                 int
	life                 *int64
	online, ext, receipt int
	control              []string
}

// c2cInput checks the shared fields and builds the message to send.
func c2cInput(call *Call, from string, to []string, f c2cFields) (message.C2CInput, error) {
	random, err := requiredRandom(f.random)
	if err != nil {
		return message.C2CInput{}, err
	}
	seq, err := uint32Field(f.seq, "MsgSeq", im.CodeMsgSeqInvalid)
	if err != nil {
		return message.C2CInput{}, err
	}
	if f.body == nil {
		return message.C2CInput{}, im.Errorf(im.CodeMsgBodyNotArray, "MsgBody is required: an array of message elements")
	}
	from = sender(call, from)
	return message.C2CInput{
		From: from, FromAdmin: call.App.IsAdmin(from), To: to, Seq: seq, Random: random, Body: f.body,
		CloudCustomData: f.custom, OfflinePushInfo: nullable(f.push), SyncOtherMachine: f.sync,
		LifeTime: f.life, OnlineOnly: f.online == 1, SendMsgControl: f.control,
		SupportExtension: f.ext == 1, NeedReadReceipt: f.receipt == 1,
	}, nil
}
