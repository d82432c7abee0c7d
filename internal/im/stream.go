package im

import (
	"context"
	"encoding/json"
)

// Streams are what clients sync: every change a user's devices must see is
// an entry with a sequence number in one of them, so a client that missed
// a push (it was offline, or the bus lost it) sees the gap and fetches the
// entries from the store.
//
//   - A user's stream (per-user Seq): one-to-one messages of both sides,
//     their recalls, modifications, read receipts and extension changes,
//     and personal notices (joined or left a group).
//   - A group's message stream (MsgSeq, the group's own counter).
//   - A group's event stream (EventSeq): recalls, modifications and
//     extension changes of group messages, system notifications, and the
//     changes of the group itself (members, profile, roles, mute, ...).

// UserEvent is one entry of a user's stream.
type UserEvent struct {
	Seq  int64
	Time int64 // Unix seconds
	// Payload is the event as clients receive it: a JSON object with a
	// "Type" field (docs/client-protocol.md).
	Payload json.RawMessage
}

// GroupEvent is one entry of a group's event stream.
type GroupEvent struct {
	Seq     int64
	Time    int64
	Payload json.RawMessage
}

// UserEventAppend is one event to put into a user's stream.
type UserEventAppend struct {
	UserID  string
	Payload json.RawMessage
	// ExpireAt is when the entry leaves the stream (Unix seconds): a
	// client that syncs later no longer gets it (MsgLifeTime).
	ExpireAt int64
}

// GroupEventAppend is one event to put into a group's event stream.
type GroupEventAppend struct {
	GroupID string
	Payload json.RawMessage
}

// StreamWrite is everything one logical write puts into the streams,
// committed atomically: at most one message (one-to-one or group) and the
// events it produces. A duplicate message writes nothing at all.
type StreamWrite struct {
	AppID       uint64
	Time        int64
	C2C         *C2CAppend
	Group       *GroupAppend
	UserEvents  []UserEventAppend
	GroupEvents []GroupEventAppend
	// Callbacks are the after callbacks reporting this write, stored in
	// its transaction (nothing when it fails or is a duplicate).
	Callbacks []Callback
}

// StreamResult is what one StreamWrite became.
type StreamResult struct {
	// Err is this write's own failure, when the rest of the batch was
	// committed: ErrNotFound when its group does not exist. Nothing of the
	// write was stored then.
	Err error
	// Duplicate means the message was sent before: nothing was written,
	// and Group/C2C describe the original.
	Duplicate bool
	// GroupSeq and GroupTime place the group message (the original's for
	// a duplicate); C2CTime is the original's time for a duplicate.
	GroupSeq  int64
	GroupTime int64
	C2CTime   int64
	// UserSeqs holds the Seq each UserEvents entry got, in order; 0 for a
	// user who is not an account (the entry was dropped).
	UserSeqs []int64
	// GroupEventSeqs holds the EventSeq of each GroupEvents entry.
	GroupEventSeqs []int64
	// Unread is the unread one-to-one total of the user the write's
	// callbacks name (Callback.UnreadOf) as this commit left it, when
	// UnreadCounted: the engine counts it in the commit where that is
	// cheaper than reading it when the callback is sent.
	Unread        int64
	UnreadCounted bool
}

// C2CAppend stores a one-to-one message in the history of its two sides.
type C2CAppend struct {
	Msg C2CMessage
	// Keep stores the message in the history; online-only messages are
	// not kept (and not checked for duplicates).
	Keep bool
	// ContentHash with the sender, MsgSeq and MsgRandom is the duplicate
	// key: a message with the same key sent at or after DedupSince is this
	// message sent again. DedupSince 0 checks only the history key (the
	// conversation, MsgTime, MsgSeq and MsgRandom), which imports use.
	ContentHash int64
	DedupSince  int64
}

// GroupAppend takes a group's next MsgSeq for a message and stores it.
type GroupAppend struct {
	Msg GroupMessage
	// Keep stores the message in the group's history. Messages that are
	// not kept (live groups, online-only messages) still take a MsgSeq.
	Keep bool
	// ContentHash, with the message's Random, is the duplicate key: a
	// message with the same key at or after DedupSince is the same message
	// sent again.
	ContentHash int64
	DedupSince  int64
}

// GroupHead is where a group's streams stand: the last MsgSeq taken and
// the last EventSeq, for a client to compare with what it has.
type GroupHead struct {
	GroupID  string
	Type     GroupType
	MsgSeq   int64
	EventSeq int64
}

// StreamStore persists the streams.
type StreamStore interface {
	// CommitStream applies writes in one transaction, in order, and
	// returns one result per write. A write whose group does not exist
	// fails alone (its result's Err is ErrNotFound); a duplicate message
	// writes nothing. Sequence numbers are taken in the transaction, so
	// they are unique and increasing across nodes.
	CommitStream(ctx context.Context, writes []StreamWrite) ([]StreamResult, error)
	// ListUserEvents returns up to limit entries of a user's stream with
	// Seq > after that have not expired at now, in Seq order, and the
	// stream's last Seq.
	ListUserEvents(ctx context.Context, appID uint64, userID string, after, now int64, limit int) ([]UserEvent, int64, error)
	// ListGroupEvents returns up to limit entries of a group's event
	// stream with Seq > after, in Seq order.
	ListGroupEvents(ctx context.Context, appID uint64, groupID string, after int64, limit int) ([]GroupEvent, error)
	// ListGroupHeads returns the heads of every group userID is a stored
	// member of (no AVChatRoom), in join order.
	ListGroupHeads(ctx context.Context, appID uint64, userID string) ([]GroupHead, error)
	// ListGroupMessagesAfter returns up to limit stored messages of a group
	// with Seq > after, oldest first.
	ListGroupMessagesAfter(ctx context.Context, appID uint64, groupID string, after int64, limit int) ([]GroupMessage, error)
	// PruneStreams deletes, before the given Unix seconds, the user stream
	// entries expired by now, the group events made before
	// groupEventsBefore (a group's event stream keeps its head, so numbers
	// are never reused), and duplicate keys older than their window.
	PruneStreams(ctx context.Context, now, groupEventsBefore, c2cDedupBefore, groupDedupBefore int64) error
}

// Push is an event for clients with its place in a stream: Seq in the
// user's stream, MsgSeq in a group's message stream, EventSeq in a group's
// event stream (docs/client-protocol.md §5). A push with none is not
// stored: online-only messages, live-room events.
type Push struct {
	GroupID  string          `json:"GroupId,omitempty"`
	Seq      int64           `json:"Seq,omitempty"`
	MsgSeq   int64           `json:"MsgSeq,omitempty"`
	EventSeq int64           `json:"EventSeq,omitempty"`
	Event    json.RawMessage `json:"event"`
}
