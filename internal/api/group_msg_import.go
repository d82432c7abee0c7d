package api

import (
	"context"
	"math"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

type importGroupMsgReq struct {
	GroupId           string
	RecentContactFlag int
	TopicId           string
	MsgList           []struct {
		From_Account string
		SendTime     int64
		Random       *int64
		MsgBody      []im.MsgElem
	}
}

type importGroupMsgResp struct {
	ImportMsgResult []importResult
}

type importResult struct {
	MsgSeq  int64
	MsgTime int64
	Result  int
}

func (a messageAPI) importMsgs(ctx context.Context, call *Call, req *importGroupMsgReq) (*importGroupMsgResp, error) {
	if req.RecentContactFlag != 0 && req.RecentContactFlag != 1 {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "RecentContactFlag must be 0 or 1"}
	}
	in := message.ImportInput{GroupID: req.GroupId, TopicID: req.TopicId, RecentContact: req.RecentContactFlag == 1,
		Msgs: make([]message.ImportMsg, len(req.MsgList))}
	for i, m := range req.MsgList {
		in.Msgs[i] = message.ImportMsg{From: m.From_Account, SendTime: m.SendTime, Body: m.MsgBody}
		if m.Random != nil {
			if *m.Random < 0 || *m.Random > math.MaxUint32 {
				return nil, im.Errorf(im.CodeGroupBadParam, "MsgList[%d].Random must be an unsigned 32-bit integer", i)
			}
			r := uint32(*m.Random)
			in.Msgs[i].Random = &r
		}
	}
	got, err := a.svc.Import(ctx, call.App.SDKAppID, in, call.Now)
	if err != nil {
		return nil, err
	}
	resp := &importGroupMsgResp{ImportMsgResult: make([]importResult, len(got))}
	for i, r := range got {
		resp.ImportMsgResult[i] = importResult{MsgSeq: r.Seq, MsgTime: r.Time, Result: r.Code}
	}
	return resp, nil
}
