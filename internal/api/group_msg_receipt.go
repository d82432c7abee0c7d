package api

import (
	"context"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

type receiptsReq struct {
	GroupId    string
	MsgSeqList message.MsgSeqList
}

type receiptsResp struct {
	GroupMsgReceiptList []receiptItem
}

type receiptItem struct {
	Code      int
	MsgSeq    int64
	ReadNum   int
	UnreadNum int
}

func (a messageAPI) receipts(ctx context.Context, call *Call, req *receiptsReq) (*receiptsResp, error) {
	got, err := a.svc.Receipts(ctx, call.App.SDKAppID, "", req.GroupId, req.MsgSeqList.Seqs())
	if err != nil {
		return nil, err
	}
	resp := &receiptsResp{GroupMsgReceiptList: make([]receiptItem, len(got))}
	for i, r := range got {
		resp.GroupMsgReceiptList[i] = receiptItem{Code: r.Code, MsgSeq: r.Seq, ReadNum: r.ReadNum, UnreadNum: r.UnreadNum}
	}
	return resp, nil
}

type receiptDetailReq struct {
	GroupId string
	MsgSeq  *int64
	Filter  *int
	Cursor  string
	Count   int
}

// receiptDetailResp carries both spellings of the finished flag: the
// vendor's table says IsFinished, its examples IsFinish.
type receiptDetailResp struct {
	IsFinish   int
	IsFinished int
	MsgSeq     int64
	// One list is present, the one Filter asks for, empty or not.
	ReadList   *[]readItem   `json:",omitempty"`
	UnreadList *[]unreadItem `json:",omitempty"`
	Cursor     string
}

type readItem struct {
	Read_Account string
}

type unreadItem struct {
	Unread_Account string
}

// Filter values of get_group_msg_receipt_detail.
const (
	filterReaders    = 0
	filterNonReaders = 1
)

func (a messageAPI) receiptDetail(ctx context.Context, call *Call, req *receiptDetailReq) (*receiptDetailResp, error) {
	if req.MsgSeq == nil {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "MsgSeq is required"}
	}
	if req.Filter == nil || *req.Filter != filterReaders && *req.Filter != filterNonReaders {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "Filter is required: 0 (readers) or 1 (non-readers)"}
	}
	unread := *req.Filter == filterNonReaders
	page, err := a.svc.ReceiptDetail(ctx, call.App.SDKAppID, req.GroupId, *req.MsgSeq, unread, req.Cursor, req.Count)
	if err != nil {
		return nil, err
	}
	done := boolInt(page.Finished)
	resp := &receiptDetailResp{IsFinish: done, IsFinished: done, MsgSeq: *req.MsgSeq, Cursor: page.Cursor}
	if unread {
		list := make([]unreadItem, len(page.Users))
		for i, u := range page.Users {
			list[i] = unreadItem{Unread_Account: u}
		}
		resp.UnreadList = &list
	} else {
		list := make([]readItem, len(page.Users))
		for i, u := range page.Users {
			list[i] = readItem{Read_Account: u}
		}
		resp.ReadList = &list
	}
	return resp, nil
}
