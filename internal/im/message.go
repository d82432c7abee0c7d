package im

import (
	"context"
	"encoding/json"
)

// MsgElem is one element of a message body as the sender wrote it
// (rest-messages.md S2): its type and its content object, kept as JSON text
// so that app-defined payloads pass through byte for byte.
type MsgElem struct {
	Type    string          `json:"MsgType"`
	Content json.RawMessage `json:"MsgContent"`
}

// Message priorities as history pulls report them (rest-messages.md S6).
const (
	PriorityHigh   = 1
	PriorityNormal = 2
	PriorityLow    = 3
)

// GroupMessage is one message of a group's stream (rest-messages.md S7):
// addressed by (AppID, GroupID, Seq).
type GroupMessage struct {
	AppID    uint64
	GroupID  string
	Seq      int64 // assigned by the store: the group's counter, from 1
	From     string
	Time     int64 // Unix seconds
	Random   uint32
	Priority int
	// Body is the MsgBody array: compact JSON, elements in the order sent.
	Body            json.RawMessage
	CloudCustomData string
	// OfflinePushInfo is the sender's object, kept as given; nil when absent.
	OfflinePushInfo json.RawMessage
	// To restricts the message to these members (To_Account); empty means
	// every member. Other members neither receive it nor sync it.
	To []string
	// AtInfo is GroupAtInfo as sent (a JSON array); nil when absent.
	AtInfo           json.RawMessage
	NeedReadReceipt  bool
	SupportExtension bool
	// Recalled marks a recalled message (IsPlaceMsg 2 in history pulls).
	Recalled bool
}

// MessageStore reads group message history; messages are written through
// StreamStore.CommitStream.
type MessageStore interface {
	// ListGroupMessages returns up to limit stored messages of a group with
	// Seq <= maxSeq, newest first. A group without messages, or that does
	// not exist, has none: the result is empty, not an error.
	ListGroupMessages(ctx context.Context, appID uint64, groupID string, maxSeq int64, limit int) ([]GroupMessage, error)
}
