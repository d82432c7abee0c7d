package client

import (
	"context"
	"time"
)

// RecallC2C recalls a one-to-one message this user sent to another user,
// by the MsgKey its send returned. Within two minutes of sending only;
// afterwards the server refuses with 20016. Both sides' devices then get
// a C2CMsgRecalled event, and the message's entry, synced later, comes
// back without its content. Other codes: 20022 no such message, 20023
// recalled already, 90054 not a MsgKey.
func (c *Client) RecallC2C(ctx context.Context, to, msgKey string) error {
	return c.request(ctx, "recall_c2c", map[string]any{"To_Account": to, "MsgKey": msgKey}, nil)
}

// C2CReadMark is where the user's read mark of a conversation stands.
type C2CReadMark struct {
	// MsgReadTime is the mark (Unix seconds): the peer's messages sent at
	// or before it are read.
	MsgReadTime int64 `json:"MsgReadTime"`
	// C2CUnreadMsgNum is the conversation's unread count under it.
	C2CUnreadMsgNum int64 `json:"C2CUnreadMsgNum"`
	// Seq is the mark's C2CRead event in the user's stream (0 when the
	// mark was already there): every device of the user receives it.
	Seq int64 `json:"Seq"`
}

// MarkC2CRead marks the conversation with peer read up to upTo (the zero
// time: now). The peer's devices get a C2CRead event, the read receipt of
// their messages; the user's devices get one with the new unread count.
// A mark never moves back.
func (c *Client) MarkC2CRead(ctx context.Context, peer string, upTo time.Time) (*C2CReadMark, error) {
	req := map[string]any{"Peer_Account": peer}
	if !upTo.IsZero() {
		req["MsgReadTime"] = upTo.Unix()
	}
	var out C2CReadMark
	if err := c.request(ctx, "read_c2c", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// HistoryQuery selects a page of a conversation's history.
type HistoryQuery struct {
	// MaxCnt is how many messages at most (20 when 0; a page holds at
	// most 100, and about 13 KB).
	MaxCnt int
	// MinTime and MaxTime bound the messages' times (Unix seconds, both
	// inclusive); MaxTime 0 means no upper bound.
	MinTime int64
	MaxTime int64
	// LastMsgKey continues after a page: give the page's LastMsgKey with
	// MaxTime set to its LastMsgTime (C2CHistoryPage.Next does).
	LastMsgKey string
}

// C2CHistoryMessage is one message of a history page.
type C2CHistoryMessage struct {
	From         string    `json:"From_Account"`
	To           string    `json:"To_Account"`
	MsgSeq       uint32    `json:"MsgSeq"`
	MsgRandom    uint32    `json:"MsgRandom"`
	MsgTimeStamp int64     `json:"MsgTimeStamp"`
	MsgKey       string    `json:"MsgKey"`
	MsgBody      []MsgElem `json:"MsgBody"`
	// MsgFlagBits is 8 for a recalled message (its body is empty).
	MsgFlagBits     int    `json:"MsgFlagBits"`
	IsPeerRead      int    `json:"IsPeerRead"`
	CloudCustomData string `json:"CloudCustomData"`
}

// C2CHistoryPage is a page of the user's side of a conversation: the
// newest messages of the query, listed oldest first.
type C2CHistoryPage struct {
	Messages    []C2CHistoryMessage `json:"MsgList"`
	Complete    int                 `json:"Complete"`
	LastMsgTime int64               `json:"LastMsgTime"`
	LastMsgKey  string              `json:"LastMsgKey"`
}

// Next is the query of the page before (older than) p under q, or false
// when p was the last one.
func (p *C2CHistoryPage) Next(q HistoryQuery) (HistoryQuery, bool) {
	if p.Complete == 1 {
		return q, false
	}
	q.MaxTime, q.LastMsgKey = p.LastMsgTime, p.LastMsgKey
	return q, true
}

// C2CHistory reads a page of the user's side of the conversation with
// peer, newest first (like the REST admin_getroammsg from the user's
// side): a message the user's app sent with SyncOtherMachine 2 is not on
// it, and IsPeerRead tells whether each message's recipient has read it.
func (c *Client) C2CHistory(ctx context.Context, peer string, q HistoryQuery) (*C2CHistoryPage, error) {
	req := map[string]any{"Peer_Account": peer, "MaxCnt": q.MaxCnt, "MinTime": q.MinTime}
	if q.MaxTime != 0 {
		req["MaxTime"] = q.MaxTime
	}
	if q.LastMsgKey != "" {
		req["LastMsgKey"] = q.LastMsgKey
	}
	var out C2CHistoryPage
	if err := c.request(ctx, "get_c2c_history", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// C2CUnread returns the user's unread count over all one-to-one
// conversations (no peers), or in the conversation with each of up to 10
// peers (total is then their sum).
func (c *Client) C2CUnread(ctx context.Context, peers ...string) (total int64, perPeer map[string]int64, err error) {
	var out struct {
		Total *int64 `json:"AllC2CUnreadMsgNum"`
		List  []struct {
			Peer   string `json:"Peer_Account"`
			Unread int64  `json:"C2CUnreadMsgNum"`
		} `json:"C2CUnreadMsgNumList"`
	}
	if err := c.request(ctx, "get_c2c_unread", map[string]any{"Peer_Account": peers}, &out); err != nil {
		return 0, nil, err
	}
	if out.Total != nil {
		return *out.Total, nil, nil
	}
	perPeer = make(map[string]int64, len(out.List))
	for _, p := range out.List {
		perPeer[p.Peer] = p.Unread
		total += p.Unread
	}
	return total, perPeer, nil
}

// Event types of changes to one-to-one messages.
const (
	TypeC2CMsgRecalled = "C2CMsgRecalled"
	TypeC2CMsgModified = "C2CMsgModified"
	TypeC2CRead        = "C2CRead"
)

// C2CMsgRecalled is a "C2CMsgRecalled" event: the message From -> To with
// MsgKey was recalled; drop its content.
type C2CMsgRecalled struct {
	From   string `json:"From_Account"`
	To     string `json:"To_Account"`
	MsgKey string `json:"MsgKey"`
}

// C2CMsgModified is a "C2CMsgModified" event: the message was modified.
// Only what changed is set: MsgBody when the body did, CloudCustomData
// (possibly "") when the custom data did.
type C2CMsgModified struct {
	From            string    `json:"From_Account"`
	To              string    `json:"To_Account"`
	MsgKey          string    `json:"MsgKey"`
	MsgBody         []MsgElem `json:"MsgBody"`
	CloudCustomData *string   `json:"CloudCustomData"`
}

// C2CRead is a "C2CRead" event: Reader has read the conversation with
// Peer up to MsgReadTime. When Reader is this user (read on another
// device, or by the app's backend) C2CUnreadMsgNum is the conversation's
// unread count now; otherwise it is the read receipt of this user's
// messages sent at or before MsgReadTime.
type C2CRead struct {
	Reader          string `json:"Report_Account"`
	Peer            string `json:"Peer_Account"`
	MsgReadTime     int64  `json:"MsgReadTime"`
	C2CUnreadMsgNum *int64 `json:"C2CUnreadMsgNum"`
}

// C2CMsgRecalled decodes a "C2CMsgRecalled" event; ok is false for others.
func (e Event) C2CMsgRecalled() (r *C2CMsgRecalled, ok bool) {
	return decodeEvent[C2CMsgRecalled](e, TypeC2CMsgRecalled)
}

// C2CMsgModified decodes a "C2CMsgModified" event; ok is false for others.
func (e Event) C2CMsgModified() (m *C2CMsgModified, ok bool) {
	return decodeEvent[C2CMsgModified](e, TypeC2CMsgModified)
}

// C2CRead decodes a "C2CRead" event; ok is false for others.
func (e Event) C2CRead() (r *C2CRead, ok bool) { return decodeEvent[C2CRead](e, TypeC2CRead) }
