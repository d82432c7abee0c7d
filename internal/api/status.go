package api

import (
	"context"

	"github.com/chatd/chatd/internal/im"
)

// MaxStatusAccounts is how many accounts one query_online_status names.
const MaxStatusAccounts = 500

type onlineStatusReq struct {
	To_Account           []string
	IsNeedDetail         int
	IsReturnInstid       int
	IsReturnCustomStatus int
}

type platformStatus struct {
	Platform string
	Status   string
}

type onlineStatusItem struct {
	To_Account   string
	Status       string
	Detail       []platformStatus `json:",omitempty"`
	CustomStatus *string          `json:",omitempty"`
}

type statusError struct {
	To_Account string
	ErrorCode  int
}

type onlineStatusResp struct {
	QueryResult []onlineStatusItem
	ErrorList   []statusError
}

// Online states of query_online_status. chatd has no offline push, so it
// never reports PushOnline.
const (
	statusOnline  = "Online"
	statusOffline = "Offline"
)

func (a accountAPI) onlineStatus(ctx context.Context, call *Call, req *onlineStatusReq) (*onlineStatusResp, error) {
	if len(req.To_Account) == 0 || len(req.To_Account) > MaxStatusAccounts {
		return nil, im.Errorf(im.CodeAccountBadParam, "To_Account must hold 1 to %d accounts", MaxStatusAccounts)
	}
	states, err := a.svc.OnlineStatus(ctx, call.App, req.To_Account)
	if err != nil {
		return nil, err
	}
	resp := &onlineStatusResp{QueryResult: []onlineStatusItem{}, ErrorList: []statusError{}}
	for _, st := range states {
		if !st.Imported {
			resp.ErrorList = append(resp.ErrorList, statusError{To_Account: st.UserID, ErrorCode: im.CodeAccountNotFound})
			continue
		}
		item := onlineStatusItem{To_Account: st.UserID, Status: statusOffline}
		if len(st.Platforms) > 0 {
			item.Status = statusOnline
		}
		if req.IsNeedDetail == 1 {
			item.Detail = []platformStatus{}
			for _, p := range st.Platforms {
				item.Detail = append(item.Detail, platformStatus{Platform: p, Status: statusOnline})
			}
		}
		if req.IsReturnCustomStatus == 1 {
			item.CustomStatus = new(string) // custom statuses are not kept yet
		}
		resp.QueryResult = append(resp.QueryResult, item)
	}
	return resp, nil
}
