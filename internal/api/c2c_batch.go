package api

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// Limits of batchsendmsg (rest-messages.md).
const (
	// maxBatchRecipients caps To_Account (90011 beyond).
	maxBatchRecipients = 500
	// batchRecipientsPerMinute is the second rate of batchsendmsg: each
	// recipient counts as one message (90057 beyond).
	batchRecipientsPerMinute = 12000
)

// batchAPI serves batchsendmsg with its recipient quota.
type batchAPI struct {
	svc   *message.Service
	quota *recipientQuota
}

type batchSendReq struct {
	SyncOtherMachine        int
	From_Account            *string
	To_Account              []string
	MsgLifeTime             *int64
	OnlineOnlyFlag          int
	MsgSeq                  *int64
	MsgRandom               *int64
	MsgBody                 []im.MsgElem
	CloudCustomData         string
	SendMsgControl          []string
	OfflinePushInfo         json.RawMessage
	IsNeedReadReceipt       int
	SupportMessageExtension int
	ForbidCallbackControl   []string // accepted: a batch fires no callbacks at all
}

type batchSendResp struct {
	MsgKey    string
	ErrorList []batchError `json:",omitempty"`
}

type batchError struct {
	To_Account string
	ErrorCode  int
}

// SomeFailed makes the envelope say "SomeError" when some recipients did
// not get the message (and the call still succeeded for the others).
func (r *batchSendResp) SomeFailed() bool { return len(r.ErrorList) > 0 }

// send delivers one message to each listed recipient: every copy shares
// the MsgKey, each recipient that is not an account is listed in
// ErrorList with 70107, and a call that reached no one fails with 90012.
func (a batchAPI) send(ctx context.Context, call *Call, req *batchSendReq) (*batchSendResp, error) {
	switch {
	case req.To_Account == nil:
		return nil, &im.Error{Code: im.CodeMsgBatchToNoArray, Info: "To_Account must be an array of UserIDs"}
	case len(req.To_Account) == 0:
		return nil, &im.Error{Code: im.CodeMsgBatchToEmpty, Info: "To_Account is empty"}
	case len(req.To_Account) > maxBatchRecipients:
		return nil, im.Errorf(im.CodeMsgTooManyTo, "To_Account lists %d recipients, at most %d", len(req.To_Account), maxBatchRecipients)
	}
	from := ""
	if req.From_Account != nil {
		if from = *req.From_Account; from == "" {
			return nil, &im.Error{Code: im.CodeMsgFromAccount, Info: "From_Account, when present, must name an account"}
		}
	}
	to := distinct(req.To_Account)
	in, err := c2cInput(call, from, to, c2cFields{
		random: req.MsgRandom, seq: req.MsgSeq, body: req.MsgBody, custom: req.CloudCustomData, push: req.OfflinePushInfo,
		sync: req.SyncOtherMachine, life: req.MsgLifeTime, online: req.OnlineOnlyFlag, control: req.SendMsgControl,
		ext: req.SupportMessageExtension, receipt: req.IsNeedReadReceipt,
	})
	if err != nil {
		return nil, err
	}
	in.Callbacks = message.NoCallbacks
	if err := a.svc.RequireAccounts(ctx, call.App.SDKAppID, call.App.IsAdmin, message.Party{Field: "From_Account", UserID: in.From, Code: im.CodeMsgFromAccount}); err != nil {
		return nil, err
	}
	if !a.quota.take(call.App.SDKAppID, len(to), call.Now) {
		return nil, im.Errorf(im.CodeMsgBatchQuota, "batchsendmsg is limited to %d recipients per minute", batchRecipientsPerMinute)
	}
	sent, err := a.svc.SendC2C(ctx, call.App.SDKAppID, in, call.Now)
	if err != nil {
		return nil, err
	}
	resp := &batchSendResp{}
	for _, s := range sent {
		switch {
		case s.Code != 0:
			resp.ErrorList = append(resp.ErrorList, batchError{To_Account: s.To, ErrorCode: s.Code})
		case resp.MsgKey == "":
			resp.MsgKey = s.Key
		}
	}
	if resp.MsgKey == "" {
		return nil, &im.Error{Code: im.CodeMsgToNotFound, Info: "no recipient in To_Account is an account"}
	}
	return resp, nil
}

// distinct drops repeated UserIDs, keeping the first of each: a recipient
// listed twice gets the message once.
func distinct(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// recipientQuota is the 12,000 recipient-messages per minute of
// batchsendmsg, per app and per node: a token bucket of that size refilled
// at 200 per second, from which a call takes one token per recipient, all
// or none.
type recipientQuota struct {
	mu   sync.Mutex
	apps map[uint64]*quotaBucket
}

type quotaBucket struct {
	tokens float64
	last   time.Time
}

func newRecipientQuota() *recipientQuota { return &recipientQuota{apps: map[uint64]*quotaBucket{}} }

// take takes n recipients from app's quota at now, reporting false (and
// taking nothing) when fewer are left.
func (q *recipientQuota) take(app uint64, n int, now time.Time) bool {
	const size, perSecond = batchRecipientsPerMinute, batchRecipientsPerMinute / 60.0
	q.mu.Lock()
	defer q.mu.Unlock()
	b := q.apps[app]
	if b == nil {
		b = &quotaBucket{tokens: size, last: now}
		q.apps[app] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(size, b.tokens+elapsed*perSecond)
		b.last = now
	}
	if b.tokens < float64(n) {
		return false
	}
	b.tokens -= float64(n)
	return true
}
