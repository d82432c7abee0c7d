package clientapi

import (
	"context"

	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// groupMessageOps are what a member does with group messages besides
// sending them: recalling, read receipts, and following topics.
func groupMessageOps(s Services) map[string]gateway.Op {
	m := groupMessageClient(s)
	return map[string]gateway.Op{
		"recall_group_msg":   op(im.CodeGroupBadParam, im.CodeGroupInternal, m.recall),
		"send_group_receipt": op(im.CodeGroupBadParam, im.CodeGroupInternal, m.markRead),
		"get_group_receipts": op(im.CodeGroupBadParam, im.CodeGroupInternal, m.receipts),
		"sync_topic":         op(im.CodeGroupBadParam, im.CodeGroupInternal, m.syncTopic),
	}
}

type groupMessageClient Services

type recallReq struct {
	GroupID string `json:"GroupId"`
	TopicID string `json:"TopicId"`
	MsgSeq  int64  `json:"MsgSeq"`
}

type recallResp struct {
	GroupID string `json:"GroupId"`
	MsgSeq  int64  `json:"MsgSeq"`
}

// recall recalls one message: the user's own within the window, or as
// the group's owner or an admin another's.
func (m groupMessageClient) recall(ctx context.Context, s *gateway.Session, req *recallReq) (*recallResp, error) {
	if err := m.Messages.RecallOwn(ctx, s.AppID, s.UserID, req.GroupID, req.TopicID, req.MsgSeq, m.Streams.Now()); err != nil {
		return nil, err
	}
	return &recallResp{GroupID: req.GroupID, MsgSeq: req.MsgSeq}, nil
}

type receiptReq struct {
	GroupID    string             `json:"GroupId"`
	MsgSeqList message.MsgSeqList `json:"MsgSeqList"`
}

type groupIDResp struct {
	GroupID string `json:"GroupId"`
}

// markRead sends the user's read receipts for messages of a group.
func (m groupMessageClient) markRead(ctx context.Context, s *gateway.Session, req *receiptReq) (*groupIDResp, error) {
	if err := m.Messages.MarkRead(ctx, s.AppID, s.UserID, req.GroupID, req.MsgSeqList.Seqs(), m.Streams.Now()); err != nil {
		return nil, err
	}
	return &groupIDResp{GroupID: req.GroupID}, nil
}

type receiptsResp struct {
	GroupID             string        `json:"GroupId"`
	GroupMsgReceiptList []receiptItem `json:"GroupMsgReceiptList"`
}

type receiptItem struct {
	Code      int   `json:"Code"`
	MsgSeq    int64 `json:"MsgSeq"`
	ReadNum   int   `json:"ReadNum"`
	UnreadNum int   `json:"UnreadNum"`
}

// receipts returns read counts of messages of a group the user is in.
func (m groupMessageClient) receipts(ctx context.Context, s *gateway.Session, req *receiptReq) (*receiptsResp, error) {
	got, err := m.Messages.Receipts(ctx, s.AppID, s.UserID, req.GroupID, req.MsgSeqList.Seqs())
	if err != nil {
		return nil, err
	}
	resp := &receiptsResp{GroupID: req.GroupID, GroupMsgReceiptList: make([]receiptItem, len(got))}
	for i, r := range got {
		resp.GroupMsgReceiptList[i] = receiptItem{Code: r.Code, MsgSeq: r.Seq, ReadNum: r.ReadNum, UnreadNum: r.UnreadNum}
	}
	return resp, nil
}

type syncTopicReq struct {
	GroupID string `json:"GroupId"`
	TopicID string `json:"TopicId"`
	MsgSeq  int64  `json:"MsgSeq"`
	Limit   int    `json:"Limit"`
}

type syncTopicResp struct {
	GroupID  string        `json:"GroupId"`
	TopicID  string        `json:"TopicId"`
	Messages []streamEntry `json:"Messages"`
	MsgSeq   int64         `json:"MsgSeq"`
	Complete int           `json:"Complete"`
}

// syncTopic returns a topic's messages after the client's position.
func (m groupMessageClient) syncTopic(ctx context.Context, s *gateway.Session, req *syncTopicReq) (*syncTopicResp, error) {
	got, err := m.Messages.SyncTopic(ctx, s.AppID, s.UserID, req.GroupID, req.TopicID, req.MsgSeq, req.Limit)
	if err != nil {
		return nil, err
	}
	resp := &syncTopicResp{GroupID: got.GroupID, TopicID: got.TopicID, Messages: entries(got.Messages), MsgSeq: got.MsgSeq}
	if got.Complete {
		resp.Complete = 1
	}
	return resp, nil
}
