package message

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/chatd/chatd/internal/im"
)

// Hooks are the app's callbacks about messages (webhooks.md): the before
// hooks answer inline, within their timeout; the after hooks queue the
// report and return at once, never failing the send. A refusal is an
// *im.Error carrying the code the sender gets. The hooks read who
// triggered the action from ctx.
// The ForbidCallbackControl words of the send APIs (rest-messages.md S5).
const (
	ForbidBeforeSendMsg = "ForbidBeforeSendMsgCallback"
	ForbidAfterSendMsg  = "ForbidAfterSendMsgCallback"
)

// Callbacks says which send callbacks a message skips.
type Callbacks struct {
	SkipBefore, SkipAfter bool
}

// NoCallbacks is a send that fires none (batchsendmsg).
var NoCallbacks = Callbacks{SkipBefore: true, SkipAfter: true}

// ForbidCallbacks reads a send's ForbidCallbackControl.
func ForbidCallbacks(words []string) Callbacks {
	var c Callbacks
	for _, w := range words {
		c.SkipBefore = c.SkipBefore || w == ForbidBeforeSendMsg
		c.SkipAfter = c.SkipAfter || w == ForbidAfterSendMsg
	}
	return c
}

type Hooks interface {
	// BeforeSendC2C asks about a one-to-one message about to be stored
	// and delivered (C2C.CallbackBeforeSendMsg).
	BeforeSendC2C(ctx context.Context, m *im.C2CMessage, onlineOnly bool) (Verdict, error)
	// AfterSendC2C reports a one-to-one message as stored and delivered
	// (code 0), or the code of its failure.
	AfterSendC2C(ctx context.Context, m *im.C2CMessage, onlineOnly bool, code int, unread Count)
	// RecordAfterSendC2C is AfterSendC2C (code 0) for a message about to
	// be committed: the callbacks it returns ride in the message's
	// StreamWrite, are stored in its transaction and sent once it commits
	// (stream.Callbacks). Nil when the app does not want the callback.
	RecordAfterSendC2C(ctx context.Context, m *im.C2CMessage) []im.Callback
	// AfterReadC2C reports a read mark set by reader on the conversation
	// with peer (C2C.CallbackAfterMsgReport).
	AfterReadC2C(ctx context.Context, appID uint64, reader, peer string, readTime int64, unread Count)
	// AfterRecallC2C reports a recalled one-to-one message.
	AfterRecallC2C(ctx context.Context, appID uint64, ref C2CRef, unread Count)
	// BeforeSendGroup asks about a group message about to be stored and
	// delivered (Group.CallbackBeforeSendMsg).
	BeforeSendGroup(ctx context.Context, g *im.Group, m *im.GroupMessage, onlineOnly bool) (Verdict, error)
	// AfterSendGroup reports a group message sent, with its MsgSeq and
	// MsgTime.
	AfterSendGroup(ctx context.Context, g *im.Group, m *im.GroupMessage, onlineOnly bool)
	// RecordAfterSendGroup is AfterSendGroup for a message about to be
	// committed through the streams, as RecordAfterSendC2C: its MsgSeq
	// and MsgTime are filled in from the commit.
	RecordAfterSendGroup(ctx context.Context, g *im.Group, m *im.GroupMessage, onlineOnly bool) []im.Callback
	// SendGroupFailed reports a group message refused for a reason of
	// chatd's (Group.CallbackSendMsgException); g is nil when the group
	// was not found.
	SendGroupFailed(ctx context.Context, appID uint64, g *im.Group, in *SendInput, err *im.Error)
	// AfterRecallGroup reports the messages recalled from a group or one
	// of its topics, by operator.
	AfterRecallGroup(ctx context.Context, g *im.Group, st im.MsgStream, operator string, seqs []int64)
	// AfterReceipts reports read-receipt counts of group messages: a
	// message asking for receipts was sent (reader ""), or reader sent
	// receipts.
	AfterReceipts(ctx context.Context, g *im.Group, reader string, counts []ReceiptCount)
	// ChatbotSignal hands a passthrough payload sent to a chatbot account
	// to the app (Chatbot.OnC2CSignalMessage); reply is called with the
	// app's RspData when it answers with success.
	ChatbotSignal(ctx context.Context, m *im.C2CMessage, data string, reply func(ctx context.Context, rsp string))
}

// Count reads a number a callback reports (an unread count) when the
// callback is sent; it is not called when the callback is off.
type Count func(ctx context.Context) (int64, error)

// ReceiptCount is one message's read-receipt counts.
type ReceiptCount struct {
	MsgSeq    int64
	ReadNum   int
	UnreadNum int
}

// Verdict is a before-send callback's answer when it does not refuse.
type Verdict struct {
	// Drop: the sender is told it succeeded; nothing is stored or
	// delivered, and no after callback reports it.
	Drop bool
	// Body, when not nil, replaces MsgBody; CloudCustomData, when not nil,
	// replaces the custom data. What is stored, delivered and reported
	// afterwards is the rewritten message.
	Body            []im.MsgElem
	CloudCustomData *string
}

// noHooks sends no callbacks.
type noHooks struct{}

func (noHooks) BeforeSendC2C(context.Context, *im.C2CMessage, bool) (Verdict, error) {
	return Verdict{}, nil
}
func (noHooks) AfterSendC2C(context.Context, *im.C2CMessage, bool, int, Count)     {}
func (noHooks) RecordAfterSendC2C(context.Context, *im.C2CMessage) []im.Callback   { return nil }
func (noHooks) AfterReadC2C(context.Context, uint64, string, string, int64, Count) {}
func (noHooks) AfterRecallC2C(context.Context, uint64, C2CRef, Count)              {}
func (noHooks) BeforeSendGroup(context.Context, *im.Group, *im.GroupMessage, bool) (Verdict, error) {
	return Verdict{}, nil
}
func (noHooks) AfterSendGroup(context.Context, *im.Group, *im.GroupMessage, bool) {}
func (noHooks) RecordAfterSendGroup(context.Context, *im.Group, *im.GroupMessage, bool) []im.Callback {
	return nil
}
func (noHooks) SendGroupFailed(context.Context, uint64, *im.Group, *SendInput, *im.Error)  {}
func (noHooks) AfterRecallGroup(context.Context, *im.Group, im.MsgStream, string, []int64) {}
func (noHooks) AfterReceipts(context.Context, *im.Group, string, []ReceiptCount)           {}
func (noHooks) ChatbotSignal(context.Context, *im.C2CMessage, string, func(context.Context, string)) {
}

// keep applies a before-send callback's answer to a message's body and
// custom data, checking a rewrite as a sent message is checked (badBody,
// tooLong: the send path's codes); false when the app drops the message.
func keep(v Verdict, err error, body *json.RawMessage, custom *string, badBody, tooLong int) (bool, error) {
	if err != nil || v.Drop {
		return false, err
	}
	if v.Body != nil {
		b, err := encodeBody(v.Body, badBody)
		if err != nil {
			return false, err
		}
		*body = b
	}
	if v.CloudCustomData != nil {
		*custom = *v.CloudCustomData
	}
	if n := len(*body) + len(*custom); n > MaxContentBytes {
		return false, im.Errorf(tooLong, "the message as the app's callback rewrote it is %d bytes, over %d", n, MaxContentBytes)
	}
	return true, nil
}

// Chatbots (webhooks.md, "Chatbot Passthrough Message Callback").
const (
	// ChatbotPrefix starts every chatbot account's UserID.
	ChatbotPrefix = "@RBT#"
	// passthroughSrc is the "src" of a passthrough payload.
	passthroughSrc = 3
)

// passthrough returns the data of a chatbot passthrough payload: a message
// to a chatbot account whose one element is a TIMCustomElem with Data
// {"chatbotPlugin":1,"src":3,"data":"..."}.
func passthrough(m *im.C2CMessage) (string, bool) {
	if !strings.HasPrefix(m.To, ChatbotPrefix) {
		return "", false
	}
	var elems []im.MsgElem
	if json.Unmarshal(m.Body, &elems) != nil || len(elems) != 1 || elems[0].Type != customElem {
		return "", false
	}
	var content struct{ Data string }
	var payload struct {
		ChatbotPlugin int    `json:"chatbotPlugin"`
		Src           int    `json:"src"`
		Data          string `json:"data"`
	}
	if json.Unmarshal(elems[0].Content, &content) != nil || json.Unmarshal([]byte(content.Data), &payload) != nil ||
		payload.ChatbotPlugin != 1 || payload.Src != passthroughSrc {
		return "", false
	}
	return payload.Data, true
}

// chatbotReply is the message a chatbot answers a passthrough payload
// with: the app's RspData as a custom element's Data.
func chatbotReply(rsp string) []im.MsgElem {
	content, _ := json.Marshal(struct{ Data string }{rsp})
	return []im.MsgElem{{Type: customElem, Content: content}}
}
