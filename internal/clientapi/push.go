package clientapi

import (
	"context"

	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/push"
)

// pushOps are the client's side of pushes to all users: reading what the
// app pushed to the user while it was away (docs/client-protocol.md §4,
// sync_push). Attributes and tags are the app's backend's alone: the spec
// gives users no call to read or write them.
func pushOps(s Services) map[string]gateway.Op {
	return map[string]gateway.Op{
		"sync_push": op(im.CodeBodyNotJSON, im.CodeMsgInternal, pushClient(s).sync),
	}
}

type pushClient Services

type syncPushReq struct {
	PushSeq int64 `json:"PushSeq"`
	Limit   int   `json:"Limit"`
}

type syncPushResp struct {
	PushSeq  int64        `json:"PushSeq"`
	Complete int          `json:"Complete"`
	Pushes   []push.Entry `json:"Pushes"`
}

// sync returns the app's pushes after the client's PushSeq that reach the
// user.
func (p pushClient) sync(ctx context.Context, s *gateway.Session, req *syncPushReq) (*syncPushResp, error) {
	page, err := p.Push.Sync(ctx, s.AppID, s.UserID, req.PushSeq, req.Limit)
	if err != nil {
		return nil, err
	}
	resp := &syncPushResp{PushSeq: page.PushSeq, Pushes: page.Pushes}
	if page.Complete {
		resp.Complete = 1
	}
	return resp, nil
}
