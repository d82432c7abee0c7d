package client

import (
	"context"
	"encoding/json"
)

// Event types of group messages besides "GroupMsg" (docs/client-protocol.md
// §5, Group message events).
const (
	TypeTopicMsg                = "TopicMsg"
	TypeGroupMsgRecalled        = "GroupMsgRecalled"
	TypeGroupMsgModified        = "GroupMsgModified"
	TypeGroupSystemNotification = "GroupSystemNotification"
	TypeGroupMsgReceipt         = "GroupMsgReceipt"
	TypeBroadcastMsg            = "BroadcastMsg"
)

// InTopic sends a group message into one of a community's topics, or
// recalls one there.
func InTopic(topicID string) SendOption { return func(m map[string]any) { m["TopicId"] = topicID } }

// msgSeqList is a REST-style MsgSeqList: [{"MsgSeq": n}, ...].
func msgSeqList(seqs []int64) []map[string]int64 {
	out := make([]map[string]int64, len(seqs))
	for i, s := range seqs {
		out[i] = map[string]int64{"MsgSeq": s}
	}
	return out
}

// RecallGroupMessage recalls a group message (InTopic: a topic message):
// the user's own within 2 minutes of sending it; a group owner or admin
// may recall the messages of members below them whatever their age. The
// group's members receive a GroupMsgRecalled event. Errors: 10030 no such
// message, 10031 too old, 10032 recalled already, 10007 not allowed.
func (c *Client) RecallGroupMessage(ctx context.Context, groupID string, msgSeq int64, opts ...SendOption) error {
	req := map[string]any{"GroupId": groupID, "MsgSeq": msgSeq}
	for _, o := range opts {
		o(req)
	}
	return c.request(ctx, "recall_group_msg", req, nil)
}

// SendGroupReceipt tells the senders of group messages that the user has
// read them (messages sent WithReadReceipt; others are ignored). Each
// sender receives a GroupMsgReceipt event with the new counts.
func (c *Client) SendGroupReceipt(ctx context.Context, groupID string, msgSeqs ...int64) error {
	return c.request(ctx, "send_group_receipt", map[string]any{"GroupId": groupID, "MsgSeqList": msgSeqList(msgSeqs)}, nil)
}

// GroupReceipt is one message's read counts; Code is 10062 for a message
// without receipts (not sent WithReadReceipt, or no such message).
type GroupReceipt struct {
	Code      int   `json:"Code"`
	MsgSeq    int64 `json:"MsgSeq"`
	ReadNum   int   `json:"ReadNum"`
	UnreadNum int   `json:"UnreadNum"`
}

// GroupReceipts returns the read counts of messages of a group the user
// is a member of.
func (c *Client) GroupReceipts(ctx context.Context, groupID string, msgSeqs ...int64) ([]GroupReceipt, error) {
	var out struct {
		List []GroupReceipt `json:"GroupMsgReceiptList"`
	}
	if err := c.request(ctx, "get_group_receipts", map[string]any{"GroupId": groupID, "MsgSeqList": msgSeqList(msgSeqs)}, &out); err != nil {
		return nil, err
	}
	return out.List, nil
}

// TopicMessage is a message of a community topic ("TopicMsg"): MsgSeq
// counts in the topic, and Message is the message as a GroupMsg event
// carries it.
type TopicMessage struct {
	GroupID string       `json:"GroupId"`
	TopicID string       `json:"TopicId"`
	MsgSeq  int64        `json:"MsgSeq"`
	Message GroupMessage `json:"Message"`
}

// TopicPage is what SyncTopic fetched.
type TopicPage struct {
	Messages []TopicMessage
	// MsgSeq is the position to sync from next time.
	MsgSeq int64
}

// SyncTopic fetches a topic's messages after msgSeq (the last one the
// client has; -1 for none: then only the position comes back), oldest
// first. Topic messages are pushed as "TopicMsg" events with their MsgSeq
// inside; a client that sees a gap in a topic's numbers syncs it.
func (c *Client) SyncTopic(ctx context.Context, groupID, topicID string, msgSeq int64) (*TopicPage, error) {
	page := &TopicPage{MsgSeq: msgSeq}
	for {
		var resp struct {
			Messages []struct {
				Event json.RawMessage `json:"event"`
			} `json:"Messages"`
			MsgSeq   int64 `json:"MsgSeq"`
			Complete int   `json:"Complete"`
		}
		req := map[string]any{"GroupId": groupID, "TopicId": topicID, "MsgSeq": page.MsgSeq}
		if err := c.request(ctx, "sync_topic", req, &resp); err != nil {
			return nil, err
		}
		for _, m := range resp.Messages {
			var tm TopicMessage
			if err := json.Unmarshal(m.Event, &tm); err == nil {
				page.Messages = append(page.Messages, tm)
			}
		}
		page.MsgSeq = resp.MsgSeq
		if resp.Complete == 1 {
			return page, nil
		}
	}
}

// GroupMsgRecalled says messages of a group (or of its topic TopicID)
// were recalled: drop their content.
type GroupMsgRecalled struct {
	GroupID    string  `json:"GroupId"`
	TopicID    string  `json:"TopicId"`
	Operator   string  `json:"Operator_Account"`
	MsgSeqList []int64 `json:"MsgSeqList"`
	Reason     string  `json:"Reason"`
}

// GroupMsgModified carries a modified message as it is now.
type GroupMsgModified struct {
	GroupID  string       `json:"GroupId"`
	TopicID  string       `json:"TopicId"`
	Operator string       `json:"Operator_Account"`
	MsgSeq   int64        `json:"MsgSeq"`
	Message  GroupMessage `json:"Message"`
}

// GroupSystemNotification is an app's notification to a group's members
// (send_group_system_notification); Content is the app's own string.
type GroupSystemNotification struct {
	GroupID string `json:"GroupId"`
	TopicID string `json:"TopicId"`
	Content string `json:"Content"`
}

// GroupMsgReceipt tells a sender that a member read some of their
// messages: the new counts of each.
type GroupMsgReceipt struct {
	GroupID  string         `json:"GroupId"`
	Reader   string         `json:"Reader_Account"`
	Receipts []GroupReceipt `json:"GroupMsgReceiptList"`
}

// BroadcastMessage is a message to every live room of the app
// (send_broadcast_msg), received once per connection that is in a room;
// MsgSeq counts the app's broadcasts.
type BroadcastMessage struct {
	MsgSeq          int64     `json:"MsgSeq"`
	MsgTime         int64     `json:"MsgTime"`
	From            string    `json:"From_Account"`
	Random          uint32    `json:"Random"`
	MsgBody         []MsgElem `json:"MsgBody"`
	CloudCustomData string    `json:"CloudCustomData"`
}

// TopicMessage decodes a "TopicMsg" event; ok is false for other events.
func (e Event) TopicMessage() (*TopicMessage, bool) {
	return decodeEvent[TopicMessage](e, TypeTopicMsg)
}

// GroupMsgRecalled decodes a "GroupMsgRecalled" event.
func (e Event) GroupMsgRecalled() (*GroupMsgRecalled, bool) {
	return decodeEvent[GroupMsgRecalled](e, TypeGroupMsgRecalled)
}

// GroupMsgModified decodes a "GroupMsgModified" event.
func (e Event) GroupMsgModified() (*GroupMsgModified, bool) {
	return decodeEvent[GroupMsgModified](e, TypeGroupMsgModified)
}

// GroupSystemNotification decodes a "GroupSystemNotification" event.
func (e Event) GroupSystemNotification() (*GroupSystemNotification, bool) {
	return decodeEvent[GroupSystemNotification](e, TypeGroupSystemNotification)
}

// GroupMsgReceipt decodes a "GroupMsgReceipt" event.
func (e Event) GroupMsgReceipt() (*GroupMsgReceipt, bool) {
	return decodeEvent[GroupMsgReceipt](e, TypeGroupMsgReceipt)
}

// BroadcastMessage decodes a "BroadcastMsg" event.
func (e Event) BroadcastMessage() (*BroadcastMessage, bool) {
	return decodeEvent[BroadcastMessage](e, TypeBroadcastMsg)
}
