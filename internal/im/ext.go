package im

import "context"

// MsgExt is one message extension pair (rest-messages.md S9): an
// app-defined key and value attached to a sent message, with the version
// the message gave it when it was last written.
type MsgExt struct {
	Key   string
	Value string
	Seq   int64
}

// MsgRef names one stored message whose extensions are read or written.
type MsgRef struct {
	AppID uint64
	// GroupID and MsgSeq name a group message.
	GroupID string
	MsgSeq  int64
	// From, To and Key name a one-to-one message (GroupID is empty then):
	// its original sender and recipient and the parts of its MsgKey.
	From string
	To   string
	Key  C2CKey
}

// C2CKey is a one-to-one message's MsgKey in parts (S7).
type C2CKey struct {
	Seq    uint32
	Random uint32
	Time   int64
}

// MsgExtHead is what a message knows about its extensions besides the
// pairs themselves.
type MsgExtHead struct {
	// SupportExtension: the message was sent with SupportMessageExtension 1.
	SupportExtension bool
	// From is the message's sender; To a group message's addressees
	// (To_Account), empty when every member may see it.
	From string
	To   []string
	// LatestSeq is the last Seq the message gave a pair; ClearSeq the
	// LatestSeq of its last clear-all (clients drop cached pairs at or
	// below it).
	LatestSeq int64
	ClearSeq  int64
	// WindowStart (a Unix second) and WindowWrites count the writes made
	// in the current minute, for the per-message write rate.
	WindowStart  int64
	WindowWrites int
	// Pairs is how many pairs the message holds.
	Pairs int
}

// MsgExtChange is what one extension write stores: the head's new
// versions and write count, the pairs cleared, deleted and set (in that
// order), and the stream events about the change, committed with it.
type MsgExtChange struct {
	Head   MsgExtHead
	Clear  bool
	Delete []string
	Set    []MsgExt
	Events StreamWrite
}

// MsgExtStore persists message extensions.
type MsgExtStore interface {
	// ListMsgExts returns up to limit of a message's pairs with Seq >=
	// startSeq, in Seq order, and the message's head; ErrNotFound when the
	// message does not exist. The pairs are read before the head, so the
	// head's ClearSeq is never older than the pairs returned.
	ListMsgExts(ctx context.Context, ref MsgRef, startSeq int64, limit int) ([]MsgExt, MsgExtHead, error)
	// WriteMsgExts runs apply on a message's extension state, in one
	// transaction that holds the message, so writes to one message are
	// serialized across nodes. apply gets the head and the current pairs
	// among keys, and returns the change to store; an error from apply
	// rolls back and is returned wrapped. The change's events are
	// committed into the streams in the same transaction (their result is
	// returned, for pushing). ErrNotFound when the message does not exist.
	WriteMsgExts(ctx context.Context, ref MsgRef, keys []string, apply func(h MsgExtHead, current map[string]MsgExt) (*MsgExtChange, error)) (StreamResult, error)
}
