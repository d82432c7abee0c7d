package api

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// maxUnreadPeers caps Peer_Account of get_c2c_unread_msg_num.
const maxUnreadPeers = 10

type setReadReq struct {
	Report_Account string
	Peer_Account   string
	// MsgReadTime is Unix seconds, a string by the vendor's table; a
	// number is taken too.
	MsgReadTime json.RawMessage
}

// setRead marks Report_Account's conversation with Peer_Account read up
// to MsgReadTime (now when absent).
func (a c2cAPI) setRead(ctx context.Context, call *Call, req *setReadReq) (*empty, error) {
	at, err := readTime(req.MsgReadTime)
	if err != nil {
		return nil, err
	}
	if err := a.svc.RequireAccounts(ctx, call.App.SDKAppID, call.App.IsAdmin,
		message.Party{Field: "Report_Account", UserID: req.Report_Account, Code: im.CodeMsgFromAccount},
		message.Party{Field: "Peer_Account", UserID: req.Peer_Account, Code: im.CodeMsgToAccount},
	); err != nil {
		return nil, err
	}
	_, err = a.svc.MarkC2CRead(ctx, call.App.SDKAppID, req.Report_Account, req.Peer_Account, at, call.Now)
	return done(err)
}

// readTime reads MsgReadTime: a decimal string or an integer, nil when
// absent.
func readTime(raw json.RawMessage) (*int64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	text := string(raw)
	var err error
	if raw[0] == '"' {
		err = json.Unmarshal(raw, &text)
	}
	t, perr := strconv.ParseInt(text, 10, 64)
	if err != nil || perr != nil || t < 0 {
		return nil, im.Errorf(im.CodeC2CBadRequest, "MsgReadTime %s is not a Unix time in seconds", raw)
	}
	return &t, nil
}

type unreadReq struct {
	To_Account   string
	Peer_Account []string
}

type unreadResp struct {
	AllC2CUnreadMsgNum  *int64        `json:",omitempty"`
	C2CUnreadMsgNumList *[]peerUnread `json:",omitempty"`
	ErrorList           []peerFailure `json:",omitempty"`
}

type peerUnread struct {
	Peer_Account    string
	C2CUnreadMsgNum int64
}

type peerFailure struct {
	Peer_Account string
	ErrorCode    int
}

// unread reports To_Account's unread counts: the total without
// Peer_Account, else one per listed peer (a peer that is not an account
// in ErrorList with 70107).
func (a c2cAPI) unread(ctx context.Context, call *Call, req *unreadReq) (*unreadResp, error) {
	if len(req.Peer_Account) > maxUnreadPeers {
		return nil, im.Errorf(im.CodeMsgTooManyPeers, "Peer_Account lists %d accounts, at most %d", len(req.Peer_Account), maxUnreadPeers)
	}
	app := call.App.SDKAppID
	if err := a.svc.RequireAccounts(ctx, app, call.App.IsAdmin, message.Party{Field: "To_Account", UserID: req.To_Account, Code: im.CodeMsgToAccount}); err != nil {
		return nil, err
	}
	resp := &unreadResp{}
	if len(req.Peer_Account) == 0 {
		total, err := a.svc.C2CUnreadTotal(ctx, app, req.To_Account)
		if err != nil {
			return nil, err
		}
		resp.AllC2CUnreadMsgNum = &total
		return resp, nil
	}
	peers := distinct(req.Peer_Account)
	accounts, err := a.svc.Accounts(ctx, app, call.App.IsAdmin, peers)
	if err != nil {
		return nil, err
	}
	var known []string
	for _, p := range peers {
		if accounts[p] {
			known = append(known, p)
		} else {
			resp.ErrorList = append(resp.ErrorList, peerFailure{Peer_Account: p, ErrorCode: im.CodeAccountNotFound})
		}
	}
	counts, err := a.svc.C2CUnread(ctx, app, req.To_Account, known)
	if err != nil {
		return nil, err
	}
	list := make([]peerUnread, len(known))
	for i, p := range known {
		list[i] = peerUnread{Peer_Account: p, C2CUnreadMsgNum: counts[p]}
	}
	resp.C2CUnreadMsgNumList = &list
	return resp, nil
}
