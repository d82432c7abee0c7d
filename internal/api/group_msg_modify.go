package api

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// modifyGroupMsgReq is openim/modify_group_msg. It lives in the one-to-one
// area (openim), whose codes it answers with: MsgBody is kept raw so that
// one that is not an array is 90007, not the area's 20001.
type modifyGroupMsgReq struct {
	GroupId         string
	MsgSeq          *int64
	MsgBody         json.RawMessage
	CloudCustomData *string
	TopicId         string
}

func (a messageAPI) modify(ctx context.Context, call *Call, req *modifyGroupMsgReq) (*emptyResp, error) {
	if req.GroupId == "" || req.MsgSeq == nil {
		return nil, &im.Error{Code: im.CodeMsgToAccount, Info: "GroupId and MsgSeq are required"}
	}
	in := message.ModifyInput{GroupID: req.GroupId, TopicID: req.TopicId, Seq: *req.MsgSeq,
		CloudCustomData: req.CloudCustomData, Operator: call.Identifier}
	if raw := bytes.TrimSpace(nullable(req.MsgBody)); raw != nil {
		if raw[0] != '[' || json.Unmarshal(raw, &in.Body) != nil {
			return nil, &im.Error{Code: im.CodeMsgBodyNotArray, Info: "MsgBody must be an array of message elements"}
		}
		if in.Body == nil {
			in.Body = []im.MsgElem{} // present but empty: invalid, not absent
		}
	}
	if err := a.svc.Modify(ctx, call.App.SDKAppID, in, call.Now); err != nil {
		return nil, err
	}
	return &emptyResp{}, nil
}
