package api

import (
	"context"

	"github.com/chatd/chatd/internal/message"
)

type recallReq struct {
	GroupId    string
	MsgSeqList message.MsgSeqList
	TopicId    string
	Reason     string
}

type recallResp struct {
	RecallRetList []recallRet
}

type recallRet struct {
	MsgSeq  int64
	RetCode int
}

func (a messageAPI) recall(ctx context.Context, call *Call, req *recallReq) (*recallResp, error) {
	seqs := req.MsgSeqList.Seqs()
	codes, err := a.svc.Recall(ctx, call.App.SDKAppID, message.RecallInput{
		GroupID: req.GroupId, TopicID: req.TopicId, Seqs: seqs, Reason: req.Reason, Operator: call.Identifier,
		Enabled: call.App.Enabled(message.FeatureRecall),
	}, call.Now)
	if err != nil {
		return nil, err
	}
	resp := &recallResp{RecallRetList: make([]recallRet, len(seqs))}
	for i, seq := range seqs {
		resp.RecallRetList[i] = recallRet{MsgSeq: seq, RetCode: codes[i]}
	}
	return resp, nil
}

type deleteBySenderReq struct {
	GroupId        string
	Sender_Account string
	TopicId        string
}

func (a messageAPI) deleteBySender(ctx context.Context, call *Call, req *deleteBySenderReq) (*emptyResp, error) {
	if err := a.svc.DeleteBySender(ctx, call.App.SDKAppID, req.GroupId, req.TopicId, req.Sender_Account, call.Identifier, call.Now); err != nil {
		return nil, err
	}
	return &emptyResp{}, nil
}
