package webhook

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// Messages are the message domain's callbacks (message.Hooks).
type Messages struct{ s *Sender }

// Messages returns the message domain's callbacks.
func (s *Sender) Messages() Messages { return Messages{s} }

var _ message.Hooks = Messages{}

// c2cBody is what the one-to-one callbacks share.
type c2cBody struct {
	CallbackCommand string
	From_Account    string
	To_Account      string
	MsgSeq          uint32
	MsgRandom       uint32
	MsgTime         int64
	MsgKey          string
	MsgId           string `json:",omitempty"`
	OnlineOnlyFlag  int
}

func (h Messages) c2c(command string, m *im.C2CMessage, onlineOnly bool) c2cBody {
	return c2cBody{CallbackCommand: command, From_Account: m.From, To_Account: m.To, MsgSeq: m.Seq, MsgRandom: m.Random,
		MsgTime: m.Time, MsgKey: m.Key(), OnlineOnlyFlag: onlineFlag(onlineOnly)}
}

// conversation is the order key of a one-to-one conversation.
func conversation(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return "c2c " + a + "\n" + b // IDs are printable ASCII: no newline
}

type c2cBeforeBody struct {
	c2cBody
	MsgBody         json.RawMessage
	CloudCustomData string
}

// BeforeSendC2C sends C2C.CallbackBeforeSendMsg.
func (h Messages) BeforeSendC2C(ctx context.Context, m *im.C2CMessage, onlineOnly bool) (message.Verdict, error) {
	if h.s.on(m.AppID, C2CBeforeSendMsg) == nil {
		return message.Verdict{}, nil // every send asks: no body built for nothing
	}
	body := c2cBeforeBody{c2cBody: h.c2c(C2CBeforeSendMsg, m, onlineOnly), MsgBody: rawBody(m.Body), CloudCustomData: m.CloudCustomData}
	body.MsgId = msgID(m.AppID, m.From, m.Time, m.Random)
	ans, err := h.s.before(ctx, m.AppID, C2CBeforeSendMsg, body)
	return h.s.verdict(ans, err, c2cCodeLo, c2cCodeHi, im.CodeC2CRefused)
}

// verdict reads a before-send callback's answer.
func (s *Sender) verdict(ans *answer, err error, lo, hi, refused int) (message.Verdict, error) {
	switch {
	case errors.Is(err, errFailedClosed):
		return message.Verdict{}, &im.Error{Code: im.CodeCallbackFailed, Info: "the app's callback failed and its policy refuses the message"}
	case ans == nil:
		return message.Verdict{}, nil
	case ans.ErrorCode == answerDrop:
		return message.Verdict{Drop: true}, nil
	case ans.ErrorCode != answerAllow:
		return message.Verdict{}, refusal(ans, lo, hi, refused)
	}
	v := message.Verdict{CloudCustomData: ans.CloudCustomData}
	if len(ans.MsgBody) > 0 && string(ans.MsgBody) != "null" {
		if err := json.Unmarshal(ans.MsgBody, &v.Body); err != nil || v.Body == nil {
			// Not an array of elements: the message goes as it was.
			s.log.Warn("callback answer: MsgBody is not an array of message elements; kept the original")
			v.Body = nil
		}
	}
	return v, nil
}

type c2cAfterBody struct {
	c2cBody
	SendMsgResult   int
	ErrorInfo       string
	UnreadMsgNum    int64
	MsgBody         json.RawMessage
	CloudCustomData string
}

// AfterSendC2C queues C2C.CallbackAfterSendMsg.
func (h Messages) AfterSendC2C(ctx context.Context, m *im.C2CMessage, onlineOnly bool, code int, unread message.Count) {
	h.s.after(ctx, m.AppID, C2CAfterSendMsg, conversation(m.From, m.To), h.afterSendC2C(m, onlineOnly, code, unread))
}

// RecordAfterSendC2C is AfterSendC2C for a message about to be committed
// (message.Hooks).
func (h Messages) RecordAfterSendC2C(ctx context.Context, m *im.C2CMessage) []im.Callback {
	return h.s.recordFor(ctx, m.AppID, C2CAfterSendMsg, conversation(m.From, m.To), h.afterSendC2C(m, false, 0, nil))
}

// afterSendC2C is the job of C2C.CallbackAfterSendMsg: UnreadMsgNum is
// the recipient's, counted by the message's commit (Committed), or read
// when it is sent for a message that was not stored (online only).
func (h Messages) afterSendC2C(m *im.C2CMessage, onlineOnly bool, code int, unread message.Count) job {
	body := &c2cAfterBody{c2cBody: h.c2c(C2CAfterSendMsg, m, onlineOnly), SendMsgResult: code, ErrorInfo: "send msg succeed",
		UnreadMsgNum: -1, MsgBody: rawBody(m.Body), CloudCustomData: m.CloudCustomData}
	if code != 0 {
		body.ErrorInfo = "send msg failed: internal error"
		return job{value: body}
	}
	body.UnreadMsgNum = laterUnread
	return job{value: body, unread: unread, unreadOf: m.To}
}

type c2cReportBody struct {
	CallbackCommand string
	Report_Account  string
	Peer_Account    string
	LastReadTime    int64
	UnreadMsgNum    int64
}

// AfterReadC2C queues C2C.CallbackAfterMsgReport.
func (h Messages) AfterReadC2C(ctx context.Context, appID uint64, reader, peer string, readTime int64, unread message.Count) {
	body := &c2cReportBody{CallbackCommand: C2CAfterMsgReport, Report_Account: reader, Peer_Account: peer, LastReadTime: readTime,
		UnreadMsgNum: laterUnread}
	h.s.after(ctx, appID, C2CAfterMsgReport, conversation(reader, peer), job{value: body, unread: unread, unreadOf: reader})
}

type c2cWithdrawBody struct {
	CallbackCommand string
	From_Account    string
	To_Account      string
	MsgKey          string
	UnreadMsgNum    int64
}

// AfterRecallC2C queues C2C.CallbackAfterMsgWithDraw.
func (h Messages) AfterRecallC2C(ctx context.Context, appID uint64, ref message.C2CRef, unread message.Count) {
	body := &c2cWithdrawBody{CallbackCommand: C2CAfterMsgWithDraw, From_Account: ref.From, To_Account: ref.To, MsgKey: ref.Key,
		UnreadMsgNum: laterUnread}
	h.s.after(ctx, appID, C2CAfterMsgWithDraw, conversation(ref.From, ref.To), job{value: body, unread: unread, unreadOf: ref.To})
}

// groupMsgBody is what the group message callbacks share.
type groupMsgBody struct {
	CallbackCommand  string
	GroupId          string
	Type             string
	From_Account     string
	Operator_Account string
	Random           uint32
}

// groupMsg fills the shared fields; the operator is the REST caller, or
// the sender.
func groupMsg(ctx context.Context, command string, g *im.Group, groupID, from string, random uint32) groupMsgBody {
	op := OriginOf(ctx).Admin
	if op == "" {
		op = from
	}
	b := groupMsgBody{CallbackCommand: command, GroupId: groupID, From_Account: from, Operator_Account: op, Random: random}
	if g != nil {
		b.Type = string(g.Type)
	}
	return b
}

type groupBeforeBody struct {
	groupMsgBody
	MsgId           string
	OnlineOnlyFlag  int
	MsgBody         json.RawMessage
	CloudCustomData string
	TopicId         string `json:",omitempty"`
	EventTime       int64
}

// BeforeSendGroup sends Group.CallbackBeforeSendMsg.
func (h Messages) BeforeSendGroup(ctx context.Context, g *im.Group, m *im.GroupMessage, onlineOnly bool) (message.Verdict, error) {
	if h.s.on(g.AppID, GroupBeforeSendMsg) == nil {
		return message.Verdict{}, nil
	}
	body := groupBeforeBody{groupMsgBody: groupMsg(ctx, GroupBeforeSendMsg, g, g.ID, m.From, m.Random),
		MsgId: msgID(m.AppID, m.From, m.Time, m.Random), OnlineOnlyFlag: onlineFlag(onlineOnly && g.Type != im.GroupAVChatRoom),
		MsgBody: rawBody(m.Body), CloudCustomData: m.CloudCustomData, TopicId: m.TopicID, EventTime: h.s.eventTime()}
	ans, err := h.s.before(ctx, g.AppID, GroupBeforeSendMsg, body)
	return h.s.verdict(ans, err, groupCodeLo, groupCodeHi, im.CodeGroupCallbackRefused)
}

type groupAfterBody struct {
	groupMsgBody
	MsgSeq          int64
	MsgId           string
	MsgTime         int64
	OnlineOnlyFlag  int
	MsgBody         json.RawMessage
	CloudCustomData string
	TopicId         string `json:",omitempty"`
	EventTime       int64
	GroupAtInfo     json.RawMessage
}

// AfterSendGroup queues Group.CallbackAfterSendMsg.
func (h Messages) AfterSendGroup(ctx context.Context, g *im.Group, m *im.GroupMessage, onlineOnly bool) {
	h.s.after(ctx, g.AppID, GroupAfterSendMsg, "group "+g.ID, h.afterSendGroup(ctx, g, m, onlineOnly))
}

// RecordAfterSendGroup is AfterSendGroup for a message about to be
// committed (message.Hooks): MsgSeq and MsgTime are filled in from the
// commit.
func (h Messages) RecordAfterSendGroup(ctx context.Context, g *im.Group, m *im.GroupMessage, onlineOnly bool) []im.Callback {
	later := *m
	later.Seq, later.Time = laterSeq, laterTime
	j := h.afterSendGroup(ctx, g, &later, onlineOnly)
	// The MsgId is made from the time the message is sent at, which its
	// commit keeps.
	j.value.(*groupAfterBody).MsgId = msgID(m.AppID, m.From, m.Time, m.Random)
	return h.s.recordFor(ctx, g.AppID, GroupAfterSendMsg, "group "+g.ID, j)
}

// afterSendGroup is the job of Group.CallbackAfterSendMsg.
func (h Messages) afterSendGroup(ctx context.Context, g *im.Group, m *im.GroupMessage, onlineOnly bool) job {
	ats := m.AtInfo
	if len(ats) == 0 {
		ats = json.RawMessage(`[]`)
	}
	body := &groupAfterBody{groupMsgBody: groupMsg(ctx, GroupAfterSendMsg, g, g.ID, m.From, m.Random),
		MsgSeq: m.Seq, MsgId: msgID(m.AppID, m.From, m.Time, m.Random), MsgTime: m.Time,
		OnlineOnlyFlag: onlineFlag(onlineOnly && g.Type != im.GroupAVChatRoom), MsgBody: rawBody(m.Body),
		CloudCustomData: m.CloudCustomData, TopicId: m.TopicID, EventTime: h.s.eventTime(), GroupAtInfo: ats}
	return job{value: body}
}

type groupExceptionBody struct {
	groupMsgBody
	OnlineOnlyFlag  int
	MsgBody         []im.MsgElem
	CloudCustomData string
	ErrorCode       int
	ErrorInfo       string
	EventTime       int64
}

// SendGroupFailed queues Group.CallbackSendMsgException.
func (h Messages) SendGroupFailed(ctx context.Context, appID uint64, g *im.Group, in *message.SendInput, e *im.Error) {
	body := &groupExceptionBody{groupMsgBody: groupMsg(ctx, GroupSendMsgException, g, in.GroupID, in.From, in.Random),
		OnlineOnlyFlag: onlineFlag(in.OnlineOnly && (g == nil || g.Type != im.GroupAVChatRoom)), MsgBody: in.Body,
		CloudCustomData: in.CloudCustomData, ErrorCode: e.Code, ErrorInfo: e.Info, EventTime: h.s.eventTime()}
	if body.MsgBody == nil {
		body.MsgBody = []im.MsgElem{}
	}
	h.s.after(ctx, appID, GroupSendMsgException, "group "+in.GroupID, job{value: body})
}

type seqItem struct{ MsgSeq int64 }

type groupRecallBody struct {
	CallbackCommand  string
	Operator_Account string
	Type             string
	GroupId          string
	MsgSeqList       []seqItem
	TopicId          string `json:",omitempty"`
	EventTime        int64
}

// AfterRecallGroup queues Group.CallbackAfterRecallMsg.
func (h Messages) AfterRecallGroup(ctx context.Context, g *im.Group, st im.MsgStream, operator string, seqs []int64) {
	body := &groupRecallBody{CallbackCommand: GroupAfterRecallMsg, Operator_Account: operator, Type: string(g.Type),
		GroupId: g.ID, MsgSeqList: make([]seqItem, len(seqs)), TopicId: st.TopicID, EventTime: h.s.eventTime()}
	for i, seq := range seqs {
		body.MsgSeqList[i] = seqItem{seq}
	}
	h.s.after(ctx, g.AppID, GroupAfterRecallMsg, "group "+g.ID, job{value: body})
}

type receiptItem struct {
	MsgSeq             int64
	ReadNum            int
	UnreadNum          int
	ReadReceiptMembers []member
}

type receiptBody struct {
	CallbackCommand     string
	GroupId             string
	Type                string
	GroupMsgReceiptList []receiptItem
	EventTime           int64
}

// AfterReceipts queues Group.CallbackAfterReadReceipt; the members listed
// as readers are those of this report (the vendor's example), none when a
// message asking for receipts is sent.
func (h Messages) AfterReceipts(ctx context.Context, g *im.Group, reader string, counts []message.ReceiptCount) {
	if len(counts) == 0 {
		return
	}
	var readers []string
	if reader != "" {
		readers = []string{reader}
	}
	body := &receiptBody{CallbackCommand: GroupAfterReadReceipt, GroupId: g.ID, Type: string(g.Type), EventTime: h.s.eventTime()}
	for _, c := range counts {
		body.GroupMsgReceiptList = append(body.GroupMsgReceiptList, receiptItem{MsgSeq: c.MsgSeq, ReadNum: c.ReadNum,
			UnreadNum: c.UnreadNum, ReadReceiptMembers: members(readers)})
	}
	h.s.after(ctx, g.AppID, GroupAfterReadReceipt, "group "+g.ID, job{value: body})
}

type chatbotBody struct {
	CallbackCommand string
	From_Account    string
	To_Account      string
	MsgSeq          uint32
	MsgRandom       uint32
	MsgKey          string
	EventTime       int64
	Data            string
}

// ChatbotSignal queues Chatbot.OnC2CSignalMessage behind the
// conversation's other callbacks, so the sender's send does not wait for
// the app; an answer with ErrorCode 0 hands RspData to reply.
func (h Messages) ChatbotSignal(ctx context.Context, m *im.C2CMessage, data string, reply func(ctx context.Context, rsp string)) {
	body := &chatbotBody{CallbackCommand: ChatbotOnC2CSignalMessage, From_Account: m.From, To_Account: m.To, MsgSeq: m.Seq,
		MsgRandom: m.Random, MsgKey: m.Key(), EventTime: h.s.eventTime(), Data: data}
	h.s.after(ctx, m.AppID, ChatbotOnC2CSignalMessage, conversation(m.From, m.To), job{value: body, answered: func(ctx context.Context, ans *answer) {
		if ans.ErrorCode == 0 && ans.RspData != "" {
			reply(ctx, ans.RspData)
		}
	}})
}
