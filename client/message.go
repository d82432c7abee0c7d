package client

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
)

// MsgElem is one element of a message body (TIMTextElem, TIMCustomElem,
// ...; rest-messages.md S2 of the server's API reference).
type MsgElem struct {
	MsgType    string          `json:"MsgType"`
	MsgContent json.RawMessage `json:"MsgContent"`
}

// Text is a TIMTextElem.
func Text(s string) MsgElem {
	content, _ := json.Marshal(struct{ Text string }{s})
	return MsgElem{MsgType: "TIMTextElem", MsgContent: content}
}

// Custom is a TIMCustomElem carrying app-defined data.
func Custom(data, desc, ext string) MsgElem {
	content, _ := json.Marshal(struct{ Data, Desc, Ext string }{data, desc, ext})
	return MsgElem{MsgType: "TIMCustomElem", MsgContent: content}
}

// SendOption sets an optional field of a message.
type SendOption func(map[string]any)

// WithCloudCustomData attaches CloudCustomData: stored with the message and
// delivered to every recipient.
func WithCloudCustomData(s string) SendOption {
	return func(m map[string]any) { m["CloudCustomData"] = s }
}

// WithOfflinePushInfo attaches OfflinePushInfo, stored and passed on.
func WithOfflinePushInfo(info any) SendOption {
	return func(m map[string]any) { m["OfflinePushInfo"] = info }
}

// OnlineOnly sends to the recipients' open connections only: the message
// is neither stored nor synced later ("typing..." signals).
func OnlineOnly() SendOption { return func(m map[string]any) { m["OnlineOnlyFlag"] = 1 } }

// WithExtensions lets the message carry extensions (key/value pairs set
// later).
func WithExtensions() SendOption { return func(m map[string]any) { m["SupportMessageExtension"] = 1 } }

// WithReadReceipt asks the recipients for read receipts.
func WithReadReceipt() SendOption {
	return func(m map[string]any) { m["IsNeedReadReceipt"], m["NeedReadReceipt"] = 1, 1 }
}

// WithRandom sets the message's Random (MsgRandom); by default a random
// one is picked. Sending the same message again with the same Random is
// how a retry is recognised as a duplicate.
func WithRandom(r uint32) SendOption {
	return func(m map[string]any) { m["MsgRandom"], m["Random"] = r, r }
}

// WithMentions @-mentions members in a group message; "@all" mentions
// everyone.
func WithMentions(userIDs ...string) SendOption {
	return func(m map[string]any) {
		var at []map[string]any
		for _, u := range userIDs {
			if u == "@all" {
				at = append(at, map[string]any{"GroupAtAllFlag": 1})
			} else {
				at = append(at, map[string]any{"GroupAtAllFlag": 0, "GroupAt_Account": u})
			}
		}
		m["GroupAtInfo"] = at
	}
}

// C2CSent is where a one-to-one message landed.
type C2CSent struct {
	MsgKey    string `json:"MsgKey"`
	MsgTime   int64  `json:"MsgTime"`
	MsgSeq    uint32 `json:"MsgSeq"`
	MsgRandom uint32 `json:"MsgRandom"`
	// Seq is the message's entry in the sender's own stream; its event
	// arrives on Events with the same Seq.
	Seq int64 `json:"Seq"`
}

// SendC2C sends a one-to-one message to another user; the reply comes once
// it is stored. Every connection of the sender, this one included, receives
// it as an event too (match it by MsgKey). Errors carry the server's code:
// 90012 recipient not imported, 93000 too long, ...
func (c *Client) SendC2C(ctx context.Context, to string, body []MsgElem, opts ...SendOption) (*C2CSent, error) {
	req := map[string]any{"To_Account": to, "MsgBody": body, "MsgRandom": rand.Uint32()}
	for _, o := range opts {
		o(req)
	}
	delete(req, "Random")
	delete(req, "NeedReadReceipt")
	var out C2CSent
	if err := c.request(ctx, "send_c2c", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GroupSent is where a group message landed.
type GroupSent struct {
	MsgSeq  int64 `json:"MsgSeq"`
	MsgTime int64 `json:"MsgTime"`
}

// SendGroup sends a message to a group the user is a member of (or a live
// group), with the checks of the server's send_group_msg: 10007 not a
// member, 10017 muted, 80002 too long, ...
func (c *Client) SendGroup(ctx context.Context, groupID string, body []MsgElem, opts ...SendOption) (*GroupSent, error) {
	req := map[string]any{"GroupId": groupID, "MsgBody": body, "Random": rand.Uint32()}
	for _, o := range opts {
		o(req)
	}
	delete(req, "MsgRandom")
	delete(req, "IsNeedReadReceipt")
	var out GroupSent
	if err := c.request(ctx, "send_group", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// C2CMessage is a one-to-one message event ("C2CMsg").
type C2CMessage struct {
	From                    string          `json:"From_Account"`
	To                      string          `json:"To_Account"`
	MsgSeq                  uint32          `json:"MsgSeq"`
	MsgRandom               uint32          `json:"MsgRandom"`
	MsgTime                 int64           `json:"MsgTime"`
	MsgKey                  string          `json:"MsgKey"`
	MsgBody                 []MsgElem       `json:"MsgBody"`
	CloudCustomData         string          `json:"CloudCustomData"`
	OfflinePushInfo         json.RawMessage `json:"OfflinePushInfo"`
	OnlineOnlyFlag          int             `json:"OnlineOnlyFlag"`
	IsNeedReadReceipt       int             `json:"IsNeedReadReceipt"`
	SupportMessageExtension int             `json:"SupportMessageExtension"`
	// MsgFlagBits is 8 for a message recalled since (its body is empty):
	// what a sync returns for a message recalled while the client was away.
	MsgFlagBits int `json:"MsgFlagBits"`
}

// GroupMessage is a group message event ("GroupMsg").
type GroupMessage struct {
	GroupID         string    `json:"GroupId"`
	MsgSeq          int64     `json:"MsgSeq"`
	MsgTime         int64     `json:"MsgTime"`
	From            string    `json:"From_Account"`
	Random          uint32    `json:"Random"`
	MsgPriority     string    `json:"MsgPriority"`
	MsgBody         []MsgElem `json:"MsgBody"`
	CloudCustomData string    `json:"CloudCustomData"`
	GroupAtInfo     []struct {
		GroupAtAllFlag int    `json:"GroupAtAllFlag"`
		GroupAtAccount string `json:"GroupAt_Account"`
	} `json:"GroupAtInfo"`
	OnlineOnlyFlag          int `json:"OnlineOnlyFlag"`
	NeedReadReceipt         int `json:"NeedReadReceipt"`
	SupportMessageExtension int `json:"SupportMessageExtension"`
	Recalled                int `json:"Recalled"`
}

// Event types of messages.
const (
	TypeC2CMsg   = "C2CMsg"
	TypeGroupMsg = "GroupMsg"
)

// C2CMessage decodes a "C2CMsg" event; ok is false for other events.
func (e Event) C2CMessage() (m *C2CMessage, ok bool) { return decodeEvent[C2CMessage](e, TypeC2CMsg) }

// GroupMessage decodes a "GroupMsg" event; ok is false for other events.
func (e Event) GroupMessage() (m *GroupMessage, ok bool) {
	return decodeEvent[GroupMessage](e, TypeGroupMsg)
}

func decodeEvent[T any](e Event, typ string) (*T, bool) {
	if e.Type != typ {
		return nil, false
	}
	var v T
	if err := json.Unmarshal(e.Data, &v); err != nil {
		return nil, false
	}
	return &v, true
}

// String is the element's type and content, for logs.
func (m MsgElem) String() string { return fmt.Sprintf("%s%s", m.MsgType, m.MsgContent) }
