package api

import (
	"context"
	"math"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

type notifyReq struct {
	GroupId           string
	ToMembers_Account []string
	Content           string
	TopicId           string
}

type emptyResp struct{}

func (a messageAPI) notify(ctx context.Context, call *Call, req *notifyReq) (*emptyResp, error) {
	err := a.svc.Notify(ctx, call.App.SDKAppID, message.NotifyInput{
		GroupID: req.GroupId, TopicID: req.TopicId, To: req.ToMembers_Account, Content: req.Content,
	})
	if err != nil {
		return nil, err
	}
	return &emptyResp{}, nil
}

type broadcastReq struct {
	From_Account    string
	Random          *int64
	MsgBody         []im.MsgElem
	CloudCustomData string
}

type broadcastResp struct {
	MsgSeq int64
}

func (a messageAPI) broadcast(ctx context.Context, call *Call, req *broadcastReq) (*broadcastResp, error) {
	if req.Random == nil || *req.Random < 0 || *req.Random > math.MaxUint32 {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "Random is required: an unsigned 32-bit integer"}
	}
	from := req.From_Account
	if from == "" {
		from = call.Identifier
	}
	seq, err := a.svc.Broadcast(ctx, call.App.SDKAppID, message.BroadcastInput{
		From: from, FromAdmin: call.App.IsAdmin(from), Random: uint32(*req.Random), Body: req.MsgBody,
		CloudCustomData: req.CloudCustomData, Enabled: call.App.Enabled(message.FeatureBroadcast),
	}, call.Now)
	if err != nil {
		return nil, err
	}
	return &broadcastResp{MsgSeq: seq}, nil
}
