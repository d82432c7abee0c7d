package clientapi

import (
	"context"
	"encoding/json"
	"math"

	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// messageOps are the client's side of messaging: sending, and syncing what
// it missed.
func messageOps(s Services) map[string]gateway.Op {
	m := messageClient(s)
	return map[string]gateway.Op{
		"sync":       op(im.CodeBodyNotJSON, im.CodeAccountInternal, m.sync),
		"sync_group": op(im.CodeGroupBadParam, im.CodeGroupInternal, m.syncGroup),
		"send_c2c":   op(im.CodeC2CBadRequest, im.CodeC2CInternal, m.sendC2C),
		"send_group": op(im.CodeGroupBadParam, im.CodeGroupInternal, m.sendGroup),
	}
}

type messageClient Services

// streamEntry is one entry of a sync reply: the event with its number.
type streamEntry struct {
	Seq      int64           `json:"Seq,omitempty"`
	MsgSeq   int64           `json:"MsgSeq,omitempty"`
	EventSeq int64           `json:"EventSeq,omitempty"`
	Event    json.RawMessage `json:"event"`
}

func entries(pushes []im.Push) []streamEntry {
	out := make([]streamEntry, len(pushes))
	for i, p := range pushes {
		out[i] = streamEntry{Seq: p.Seq, MsgSeq: p.MsgSeq, EventSeq: p.EventSeq, Event: p.Event}
	}
	return out
}

type syncReq struct {
	Seq   int64 `json:"Seq"`
	Limit int   `json:"Limit"`
}

type groupHead struct {
	GroupID  string       `json:"GroupId"`
	Type     im.GroupType `json:"Type"`
	MsgSeq   int64        `json:"MsgSeq"`
	EventSeq int64        `json:"EventSeq"`
}

type syncResp struct {
	Seq      int64         `json:"Seq"`
	Events   []streamEntry `json:"Events"`
	Complete int           `json:"Complete"`
	Groups   []groupHead   `json:"Groups"`
}

// sync returns the user's stream after the client's Seq and the heads of
// their groups, and makes the connection follow exactly those groups.
func (m messageClient) sync(ctx context.Context, s *gateway.Session, req *syncReq) (*syncResp, error) {
	got, err := m.Streams.SyncUser(ctx, s.AppID, s.UserID, req.Seq, req.Limit)
	if err != nil {
		return nil, err
	}
	resp := &syncResp{Seq: got.Head, Events: make([]streamEntry, len(got.Events)), Groups: make([]groupHead, len(got.Groups))}
	for i, e := range got.Events {
		resp.Events[i] = streamEntry{Seq: e.Seq, Event: e.Payload}
	}
	if got.Complete {
		resp.Complete = 1
	} else if len(got.Events) > 0 {
		resp.Seq = got.Events[len(got.Events)-1].Seq
	}
	ids := make([]string, len(got.Groups))
	for i, h := range got.Groups {
		resp.Groups[i] = groupHead{GroupID: h.GroupID, Type: h.Type, MsgSeq: h.MsgSeq, EventSeq: h.EventSeq}
		ids[i] = h.GroupID
	}
	s.FollowGroups(ids)
	return resp, nil
}

type syncGroupReq struct {
	GroupID  string `json:"GroupId"`
	MsgSeq   int64  `json:"MsgSeq"`
	EventSeq int64  `json:"EventSeq"`
	Limit    int    `json:"Limit"`
}

type syncGroupResp struct {
	GroupID  string        `json:"GroupId"`
	Messages []streamEntry `json:"Messages"`
	Events   []streamEntry `json:"Events"`
	MsgSeq   int64         `json:"MsgSeq"`
	EventSeq int64         `json:"EventSeq"`
	Complete int           `json:"Complete"`
}

func (m messageClient) syncGroup(ctx context.Context, s *gateway.Session, req *syncGroupReq) (*syncGroupResp, error) {
	got, err := m.Messages.SyncGroup(ctx, s.AppID, s.UserID, req.GroupID, req.MsgSeq, req.EventSeq, req.Limit)
	if err != nil {
		return nil, err
	}
	resp := &syncGroupResp{GroupID: got.GroupID, Messages: entries(got.Messages), Events: entries(got.Events),
		MsgSeq: got.MsgSeq, EventSeq: got.EventSeq}
	if got.Complete {
		resp.Complete = 1
	}
	return resp, nil
}

// sendC2CReq is a client's one-to-one message: the fields of sendmsg
// (rest-messages.md) that a sender decides.
type sendC2CReq struct {
	To                      string          `json:"To_Account"`
	MsgSeq                  *int64          `json:"MsgSeq"`
	MsgRandom               *int64          `json:"MsgRandom"`
	MsgBody                 []im.MsgElem    `json:"MsgBody"`
	CloudCustomData         string          `json:"CloudCustomData"`
	OfflinePushInfo         json.RawMessage `json:"OfflinePushInfo"`
	MsgLifeTime             *int64          `json:"MsgLifeTime"`
	OnlineOnlyFlag          int             `json:"OnlineOnlyFlag"`
	SupportMessageExtension int             `json:"SupportMessageExtension"`
	IsNeedReadReceipt       int             `json:"IsNeedReadReceipt"`
}

type sendC2CResp struct {
	MsgKey    string `json:"MsgKey"`
	MsgTime   int64  `json:"MsgTime"`
	MsgSeq    uint32 `json:"MsgSeq"`
	MsgRandom uint32 `json:"MsgRandom"`
	// Seq is the message's entry in the sender's own stream, which every
	// connection of the sender receives.
	Seq int64 `json:"Seq,omitempty"`
}

// sendC2C sends as the logged-in user; the user's other devices get the
// message too (SyncOtherMachine 1).
func (m messageClient) sendC2C(ctx context.Context, s *gateway.Session, req *sendC2CReq) (*sendC2CResp, error) {
	if req.To == "" {
		return nil, im.Errorf(im.CodeMsgToAccount, "To_Account is required")
	}
	if req.MsgRandom == nil || *req.MsgRandom < 0 || *req.MsgRandom > math.MaxUint32 {
		return nil, im.Errorf(im.CodeMsgRandomInvalid, "MsgRandom is required: an unsigned 32-bit integer")
	}
	in := message.C2CInput{
		From: s.UserID, To: []string{req.To}, Random: uint32(*req.MsgRandom), Body: req.MsgBody,
		CloudCustomData: req.CloudCustomData, OfflinePushInfo: nullable(req.OfflinePushInfo), LifeTime: req.MsgLifeTime,
		SyncOtherMachine: message.SyncToSender, OnlineOnly: req.OnlineOnlyFlag == 1, FromClient: true,
		SupportExtension: req.SupportMessageExtension == 1, NeedReadReceipt: req.IsNeedReadReceipt == 1,
	}
	if req.MsgSeq != nil {
		if *req.MsgSeq < 0 || *req.MsgSeq > math.MaxUint32 {
			return nil, im.Errorf(im.CodeMsgSeqInvalid, "MsgSeq must be an unsigned 32-bit integer")
		}
		seq := uint32(*req.MsgSeq)
		in.Seq = &seq
	}
	sent, err := m.Messages.SendC2C(ctx, s.AppID, in, m.Streams.Now())
	if err != nil {
		return nil, err
	}
	if sent[0].Code != 0 {
		return nil, im.Errorf(im.CodeMsgToNotFound, "To_Account %s is not imported", req.To)
	}
	seq, random, _, _ := im.ParseMsgKey(sent[0].Key)
	return &sendC2CResp{MsgKey: sent[0].Key, MsgTime: sent[0].Time, MsgSeq: seq, MsgRandom: random, Seq: sent[0].SenderSeq}, nil
}

// sendGroupReq is a client's group message: the fields of send_group_msg
// (rest-messages.md) that a member decides.
type sendGroupReq struct {
	GroupID                 string            `json:"GroupId"`
	Random                  *int64            `json:"Random"`
	MsgPriority             string            `json:"MsgPriority"`
	MsgBody                 []im.MsgElem      `json:"MsgBody"`
	CloudCustomData         string            `json:"CloudCustomData"`
	OfflinePushInfo         json.RawMessage   `json:"OfflinePushInfo"`
	OnlineOnlyFlag          int               `json:"OnlineOnlyFlag"`
	SendMsgControl          []string          `json:"SendMsgControl"`
	NeedReadReceipt         int               `json:"NeedReadReceipt"`
	SupportMessageExtension int               `json:"SupportMessageExtension"`
	To                      []string          `json:"To_Account"`
	GroupAtInfo             []message.GroupAt `json:"GroupAtInfo"`
	TopicID                 string            `json:"TopicId"`
}

type sendGroupResp struct {
	MsgSeq  int64 `json:"MsgSeq"`
	MsgTime int64 `json:"MsgTime"`
}

// sendGroup sends as the logged-in user, with the checks of
// send_group_msg: membership, mute, mute-all, size.
func (m messageClient) sendGroup(ctx context.Context, s *gateway.Session, req *sendGroupReq) (*sendGroupResp, error) {
	if req.Random == nil || *req.Random < 0 || *req.Random > math.MaxUint32 {
		return nil, im.Errorf(im.CodeGroupBadParam, "Random is required: an unsigned 32-bit integer")
	}
	sent, err := m.Messages.Send(ctx, s.AppID, message.SendInput{
		GroupID: req.GroupID, TopicID: req.TopicID, From: s.UserID, Random: uint32(*req.Random), Priority: req.MsgPriority,
		Body: req.MsgBody, CloudCustomData: req.CloudCustomData, OfflinePushInfo: nullable(req.OfflinePushInfo),
		OnlineOnly: req.OnlineOnlyFlag == 1, SendMsgControl: req.SendMsgControl, NeedReadReceipt: req.NeedReadReceipt == 1,
		SupportExtension: req.SupportMessageExtension == 1, To: req.To, GroupAt: req.GroupAtInfo,
	}, m.Streams.Now())
	if err != nil {
		return nil, err
	}
	return &sendGroupResp{MsgSeq: sent.Seq, MsgTime: sent.Time}, nil
}

// nullable treats a JSON null as absent.
func nullable(raw json.RawMessage) json.RawMessage {
	if string(raw) == "null" {
		return nil
	}
	return raw
}
