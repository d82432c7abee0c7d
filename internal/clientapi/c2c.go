package clientapi

import (
	"context"

	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// Limits of the one-to-one ops.
const (
	// defaultHistoryPage is how many messages get_c2c_history returns
	// when the client does not say.
	defaultHistoryPage = 20
	// maxUnreadPeers caps Peer_Account of get_c2c_unread, as
	// get_c2c_unread_msg_num does.
	maxUnreadPeers = 10
)

// c2cOps are the client's side of its one-to-one conversations besides
// sending: recalling its own messages, marking them read, reading their
// history and their unread counts.
func c2cOps(s Services) map[string]gateway.Op {
	c := c2cClient(s)
	return map[string]gateway.Op{
		"recall_c2c":      op(im.CodeC2CBadRequest, im.CodeC2CInternal, c.recall),
		"read_c2c":        op(im.CodeC2CBadRequest, im.CodeC2CInternal, c.read),
		"get_c2c_history": op(im.CodeC2CBadRequest, im.CodeC2CInternal, c.history),
		"get_c2c_unread":  op(im.CodeC2CBadRequest, im.CodeC2CInternal, c.unread),
	}
}

type c2cClient Services

// checkPeer refuses a peer a client names that is missing or cannot be a
// UserID (90003), before it reaches a store.
func checkPeer(field, id string) error {
	switch {
	case id == "":
		return im.Errorf(im.CodeMsgToAccount, "%s is required", field)
	case !im.ValidUserID(id):
		return im.InvalidUserID(im.CodeMsgToAccount, field, id)
	}
	return nil
}

type recallC2CReq struct {
	To     string `json:"To_Account"`
	MsgKey string `json:"MsgKey"`
}

type noFields struct{}

// recall recalls a message the user sent, within the recall window.
func (c c2cClient) recall(ctx context.Context, s *gateway.Session, req *recallC2CReq) (*noFields, error) {
	if err := checkPeer("To_Account", req.To); err != nil {
		return nil, err
	}
	ref := message.C2CRef{From: s.UserID, To: req.To, Key: req.MsgKey}
	if err := c.Messages.RecallC2C(ctx, s.AppID, ref, message.DefaultC2CRecallWindow, c.Streams.Now()); err != nil {
		return nil, err
	}
	return &noFields{}, nil
}

type readC2CReq struct {
	Peer        string `json:"Peer_Account"`
	MsgReadTime *int64 `json:"MsgReadTime"`
}

type readC2CResp struct {
	MsgReadTime int64 `json:"MsgReadTime"`
	Unread      int64 `json:"C2CUnreadMsgNum"`
	// Seq is the C2CRead entry in the user's stream; absent when the mark
	// did not move.
	Seq int64 `json:"Seq,omitempty"`
}

// read marks the conversation with a peer read up to MsgReadTime (now
// when absent): the peer receives the read receipt and the user's devices
// the new unread count. The peer need not be an account (a message from
// an app admin, say).
func (c c2cClient) read(ctx context.Context, s *gateway.Session, req *readC2CReq) (*readC2CResp, error) {
	if err := checkPeer("Peer_Account", req.Peer); err != nil {
		return nil, err
	}
	r, err := c.Messages.MarkC2CRead(ctx, s.AppID, s.UserID, req.Peer, req.MsgReadTime, c.Streams.Now())
	if err != nil {
		return nil, err
	}
	return &readC2CResp{MsgReadTime: r.MsgReadTime, Unread: r.Unread, Seq: r.Seq}, nil
}

type historyC2CReq struct {
	Peer       string `json:"Peer_Account"`
	MaxCnt     int    `json:"MaxCnt"`
	MinTime    int64  `json:"MinTime"`
	MaxTime    *int64 `json:"MaxTime"`
	LastMsgKey string `json:"LastMsgKey"`
}

type historyC2CResp struct {
	Complete    int               `json:"Complete"`
	MsgCnt      int               `json:"MsgCnt"`
	LastMsgTime int64             `json:"LastMsgTime"`
	LastMsgKey  string            `json:"LastMsgKey"`
	MsgList     []message.RoamMsg `json:"MsgList"`
}

// history pages through the user's side of a conversation as
// admin_getroammsg does, newest page first.
func (c c2cClient) history(ctx context.Context, s *gateway.Session, req *historyC2CReq) (*historyC2CResp, error) {
	if err := checkPeer("Peer_Account", req.Peer); err != nil {
		return nil, err
	}
	in := message.RoamInput{Owner: s.UserID, Peer: req.Peer, Want: req.MaxCnt, MinTime: req.MinTime, MaxTime: message.NoMaxTime, LastKey: req.LastMsgKey}
	if in.Want == 0 {
		in.Want = defaultHistoryPage
	}
	if req.MaxTime != nil {
		in.MaxTime = *req.MaxTime
	}
	page, err := c.Messages.RoamC2C(ctx, s.AppID, in)
	if err != nil {
		return nil, err
	}
	list := page.List()
	resp := &historyC2CResp{MsgCnt: len(list), LastMsgTime: page.LastTime, LastMsgKey: page.LastKey, MsgList: list}
	if page.Complete {
		resp.Complete = 1
	}
	return resp, nil
}

type unreadC2CReq struct {
	Peers []string `json:"Peer_Account"`
}

type peerUnread struct {
	Peer   string `json:"Peer_Account"`
	Unread int64  `json:"C2CUnreadMsgNum"`
}

type unreadC2CResp struct {
	Total *int64       `json:"AllC2CUnreadMsgNum,omitempty"`
	List  []peerUnread `json:"C2CUnreadMsgNumList,omitempty"`
}

// unread reports the user's unread count over every one-to-one
// conversation, or in the conversation with each listed peer.
func (c c2cClient) unread(ctx context.Context, s *gateway.Session, req *unreadC2CReq) (*unreadC2CResp, error) {
	if len(req.Peers) > maxUnreadPeers {
		return nil, im.Errorf(im.CodeMsgTooManyPeers, "Peer_Account lists %d accounts, at most %d", len(req.Peers), maxUnreadPeers)
	}
	for _, p := range req.Peers {
		if err := checkPeer("Peer_Account", p); err != nil {
			return nil, err
		}
	}
	if len(req.Peers) == 0 {
		total, err := c.Messages.C2CUnreadTotal(ctx, s.AppID, s.UserID)
		if err != nil {
			return nil, err
		}
		return &unreadC2CResp{Total: &total}, nil
	}
	counts, err := c.Messages.C2CUnread(ctx, s.AppID, s.UserID, req.Peers)
	if err != nil {
		return nil, err
	}
	resp := &unreadC2CResp{List: make([]peerUnread, len(req.Peers))}
	for i, p := range req.Peers {
		resp.List[i] = peerUnread{Peer: p, Unread: counts[p]}
	}
	return resp, nil
}
