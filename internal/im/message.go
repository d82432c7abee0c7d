package im

import (
	"context"
	"encoding/json"
)

// MsgElem is one element of a message body as the sender wrote it
// (rest-messages.md S2): its type and its content object, kept as JSON text
// so that app-defined payloads pass through byte for byte.
type MsgElem struct {
	Type    string
	Content json.RawMessage
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
}

// MessageAppend says how AppendGroupMessage treats one message.
type MessageAppend struct {
	// Keep stores the message in the group's history. Messages that are
	// not kept (live groups, online-only messages) still take a MsgSeq.
	Keep bool
	// ContentHash, with the message's Random, is the duplicate key: a
	// message with the same key at or after DedupSince is the same message
	// sent again.
	ContentHash int64
	DedupSince  int64
}

// Appended is where AppendGroupMessage put a message.
type Appended struct {
	Seq  int64
	Time int64
	// Duplicate means nothing was written: Seq and Time are those of the
	// earlier message with the same duplicate key.
	Duplicate bool
}

// MessageStore persists group messages and the per-group MsgSeq counter.
type MessageStore interface {
	// AppendGroupMessage takes the group's next MsgSeq for m and, unless a
	// message with the same duplicate key is in the window, records the key,
	// stores m when Keep is set, and updates the group's next MsgSeq and
	// last message time and the sender's last send time, all in one
	// committed transaction. m.Seq is ignored. Concurrent appends to one
	// group, from any number of nodes, get distinct consecutive MsgSeqs. It
	// returns ErrNotFound when the group does not exist.
	AppendGroupMessage(ctx context.Context, m *GroupMessage, how MessageAppend) (Appended, error)
	// ListGroupMessages returns up to limit stored messages of a group with
	// Seq <= maxSeq, newest first. A group without messages, or that does
	// not exist, has none: the result is empty, not an error.
	ListGroupMessages(ctx context.Context, appID uint64, groupID string, maxSeq int64, limit int) ([]GroupMessage, error)
}
