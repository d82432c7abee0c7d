package im

import (
	"context"
	"encoding/json"
	"errors"
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

// GroupMessage is one message of a group's stream, or of one of its
// topics' (rest-messages.md S7): addressed by (AppID, GroupID, TopicID, Seq).
type GroupMessage struct {
	AppID   uint64
	GroupID string
	// TopicID is the community topic the message is in; "" for the
	// group's own stream.
	TopicID  string
	Seq      int64 // assigned by the store: the group's (or topic's) counter, from 1
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
	// Recalled marks a recalled message (IsPlaceMsg 2 in history pulls);
	// its body and custom data are gone.
	Recalled bool
	// NoUnread and NoLastMsg are the message's SendMsgControl: it does not
	// count as unread, it does not become a conversation's last message.
	NoUnread  bool
	NoLastMsg bool
	// ReadNum is how many members sent a read receipt for it.
	ReadNum int
}

// MsgStream names one message stream: a group's own (TopicID "") or one of
// its topics'. Each has its own MsgSeq counter.
type MsgStream struct {
	AppID   uint64
	GroupID string
	TopicID string
}

// Stream is the stream the message is in.
func (m *GroupMessage) Stream() MsgStream {
	return MsgStream{AppID: m.AppID, GroupID: m.GroupID, TopicID: m.TopicID}
}

// ErrMsgTime means an imported message's time is out of order: in the
// future, before its group (or topic) was created, or before the newest
// message already there.
var ErrMsgTime = errors.New("message time out of range")

// Committed is a write the store committed together with a change, for
// the caller to push (stream.Service.PushCommitted).
type Committed struct {
	Write  StreamWrite
	Result StreamResult
}

// ReadChange is one message a member's read receipt counted for: its
// sender and its read count after the receipt.
type ReadChange struct {
	Seq     int64
	From    string
	ReadNum int
}

// Broadcast is one send_broadcast_msg: numbered by the app's own counter,
// delivered to every live room, stored nowhere.
type Broadcast struct {
	AppID  uint64
	Time   int64
	Random uint32
	// ContentHash with Random is the duplicate key: a broadcast with the
	// same key at or after DedupSince is this one sent again.
	ContentHash int64
	DedupSince  int64
}

// MessageStore reads and changes group messages. Sends to a group's own
// stream are written through StreamStore.CommitStream; the methods that
// change stored messages record the events about the change in the same
// transaction (each takes a function building them from what changed)
// and return them for the caller to push.
type MessageStore interface {
	// ListHistory returns up to limit stored messages of a stream with Seq
	// <= maxSeq, newest first; recalled ones only withRecalled. A stream
	// without messages, or that does not exist, has none: the result is
	// empty, not an error.
	ListHistory(ctx context.Context, s MsgStream, maxSeq int64, limit int, withRecalled bool) ([]GroupMessage, error)
	// ListGroupMessages is ListHistory of a group's own stream, recalled
	// messages included.
	ListGroupMessages(ctx context.Context, appID uint64, groupID string, maxSeq int64, limit int) ([]GroupMessage, error)
	// ListMessagesAfter returns up to limit stored messages of a stream
	// with Seq > after, oldest first, recalled ones included.
	ListMessagesAfter(ctx context.Context, s MsgStream, after int64, limit int) ([]GroupMessage, error)
	// GetGroupMessages returns the stored messages of a stream among seqs,
	// by Seq; a number without one is absent from the map.
	GetGroupMessages(ctx context.Context, s MsgStream, seqs []int64) (map[int64]GroupMessage, error)

	// AppendGroupMessages commits messages one at a time would not: those
	// with a topic (its counter is the topic's) or a SendMsgControl, in one
	// transaction, with CommitStream's rules (duplicates, missing groups
	// and topics: ErrNotFound in a result). Results are in order.
	AppendGroupMessages(ctx context.Context, appends []GroupAppend) ([]StreamResult, error)
	// ImportGroupMessages appends history to a stream (import_group_msg):
	// each message's time must not be after now nor before the stream's
	// creation or newest message (its Err is then ErrMsgTime and nothing
	// of it is written); the others are appended as AppendGroupMessages
	// does, in one transaction. It returns ErrNotFound when the group or
	// topic does not exist.
	ImportGroupMessages(ctx context.Context, s MsgStream, appends []GroupAppend, now int64) ([]StreamResult, error)

	// RecallGroupMessages marks the listed messages recalled and drops
	// their content. decide is asked about each stored message first; its
	// error is that message's result and leaves it as it is. A number with
	// no stored message gets ErrNotFound. events builds what the recall
	// adds to the streams from the numbers recalled (called only when
	// there are some). Results are by position in seqs.
	RecallGroupMessages(ctx context.Context, s MsgStream, seqs []int64, decide func(m *GroupMessage) error,
		events func(recalled []int64) StreamWrite) ([]error, *Committed, error)
	// RecallBySender marks recalled every message of sender among the
	// stream's newest scan stored messages, with events as above. It
	// returns the numbers recalled, oldest first.
	RecallBySender(ctx context.Context, s MsgStream, sender string, scan int,
		events func(recalled []int64) StreamWrite) ([]int64, *Committed, error)
	// ModifyGroupMessage runs apply on a stored message and stores its
	// Body and CloudCustomData as apply left them, with the events built
	// from the result; ErrNotFound when there is no such message.
	ModifyGroupMessage(ctx context.Context, s MsgStream, seq int64, apply func(m *GroupMessage) error,
		events func(m *GroupMessage) StreamWrite) (*GroupMessage, *Committed, error)

	// MarkGroupMessagesRead records userID's read receipts for the listed
	// messages of a group's own stream that ask for them (NeedReadReceipt),
	// are not userID's own and not counted yet, and raises their ReadNum;
	// events builds the notices from what changed (called only when
	// something did).
	MarkGroupMessagesRead(ctx context.Context, appID uint64, groupID, userID string, seqs []int64, now int64,
		events func(changed []ReadChange) StreamWrite) ([]ReadChange, *Committed, error)
	// ListReaders returns up to limit members who sent a read receipt for
	// a message, in UserID byte order after after ("" from the start).
	ListReaders(ctx context.Context, appID uint64, groupID string, seq int64, after string, limit int) ([]string, error)
	// ListNonReaders returns up to limit current members other than except
	// who sent no read receipt for a message, in UserID byte order after
	// after: it reads the member list page by page, never whole.
	ListNonReaders(ctx context.Context, appID uint64, groupID string, seq int64, except, after string, limit int) ([]string, error)

	// CommitBroadcast takes the app's next broadcast MsgSeq, unless b is a
	// duplicate: then dup is set and seq and time are the original's.
	CommitBroadcast(ctx context.Context, b Broadcast) (seq, time int64, dup bool, err error)
}
