package im

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
)

// C2CMessage is one one-to-one message (rest-messages.md S7), addressed by
// (From, To, Key()).
type C2CMessage struct {
	AppID  uint64
	From   string
	To     string
	Seq    uint32 // the sender's MsgSeq (random when the sender gave none)
	Random uint32
	Time   int64
	// Body is the MsgBody array: compact JSON, elements in the order sent.
	Body            json.RawMessage
	CloudCustomData string
	OfflinePushInfo json.RawMessage // nil when absent
	// FlagBits is a bit set: MsgRecalled is the wire's MsgFlagBits; the
	// bits from FlagNoUnread up are chatd's own, never shown on the wire.
	FlagBits         int
	SupportExtension bool
	NeedReadReceipt  bool
	// PeerRead: the recipient has read it (IsPeerRead): the message is at
	// or before the recipient's read mark in the conversation.
	PeerRead bool
	// HiddenFrom lists the sides the message is absent from: the sender's
	// side after SyncOtherMachine 2.
	HiddenFromSender    bool
	HiddenFromRecipient bool
}

// Bits of C2CMessage.FlagBits.
const (
	// MsgRecalled is the MsgFlagBits of a recalled one-to-one message.
	MsgRecalled = 8
	// FlagNoUnread marks a message that never counts as unread: sent with
	// SendMsgControl NoUnread or MsgLifeTime 0, or imported as history
	// (SyncFromOldSystem 2). It lives in the flag column because that is
	// what the send path writes with the message, atomically.
	FlagNoUnread = 1 << 16
	// FlagNoLastMsg marks a message sent with SendMsgControl NoLastMsg: it
	// does not become its conversation's latest message (time, last
	// message) in the conversation list.
	FlagNoLastMsg = 1 << 17
	// WireFlagBits masks the bits MsgFlagBits shows.
	WireFlagBits = FlagNoUnread - 1
)

// MsgKey formats a one-to-one message's key: "<MsgSeq>_<MsgRandom>_<MsgTimeStamp>"
// (rest-messages.md S7).
func MsgKey(seq, random uint32, time int64) string {
	return strconv.FormatUint(uint64(seq), 10) + "_" + strconv.FormatUint(uint64(random), 10) + "_" + strconv.FormatInt(time, 10)
}

// Key is the message's MsgKey.
func (m *C2CMessage) Key() string { return MsgKey(m.Seq, m.Random, m.Time) }

// ParseMsgKey splits a MsgKey into its parts; ok is false when key does
// not have the format MsgKey produces.
func ParseMsgKey(key string) (seq, random uint32, time int64, ok bool) {
	parts := strings.Split(key, "_")
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	s, err1 := strconv.ParseUint(parts[0], 10, 32)
	r, err2 := strconv.ParseUint(parts[1], 10, 32)
	t, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || t < 0 {
		return 0, 0, 0, false
	}
	return uint32(s), uint32(r), t, true
}

// C2CStore reads one-to-one messages and changes stored ones; they are
// written through StreamStore.CommitStream.
type C2CStore interface {
	// GetC2CMessage returns the message from -> to with the given key
	// parts, or ErrNotFound.
	GetC2CMessage(ctx context.Context, appID uint64, from, to string, seq, random uint32, time int64) (*C2CMessage, error)
	// ListC2CMessages returns owner's side of the conversation with peer:
	// up to limit messages with minTime <= Time <= maxTime, newest first
	// (by Time, then MsgSeq, then MsgRandom); before, when not nil, starts
	// strictly after that message in this order (a paging cursor).
	ListC2CMessages(ctx context.Context, appID uint64, owner, peer string, minTime, maxTime int64, before *C2CMessage, limit int) ([]C2CMessage, error)
	// UpdateC2C changes one stored message and commits the events about
	// the change in the same transaction (see C2CChange). It returns
	// ErrNotFound when there is no such message, and Apply's error as is.
	UpdateC2C(ctx context.Context, c C2CChange) (C2CChanged, error)
	// MarkC2CRead moves reader's read mark in the conversation with peer
	// forward to mark.Time and commits mark.Events with it. A mark at or
	// before the current one changes and writes nothing (Advanced false).
	MarkC2CRead(ctx context.Context, mark C2CReadMark) (C2CReadResult, error)
	// CountC2CUnread returns reader's unread count in the conversation
	// with each of peers (0 for a peer without messages).
	CountC2CUnread(ctx context.Context, appID uint64, reader string, peers []string) (map[string]int64, error)
	// CountC2CUnreadTotal returns reader's unread count over every
	// one-to-one conversation.
	CountC2CUnreadTotal(ctx context.Context, appID uint64, reader string) (int64, error)
}

// Unread: a one-to-one message counts as unread for its recipient while it
// is after the recipient's read mark in the conversation (its MsgTime is
// later than the mark), not recalled, not FlagNoUnread, not hidden from the
// recipient, and not sent to oneself. A read mark also answers IsPeerRead
// for the other side: the messages at or before it have been read.

// C2CChange is a change to one stored one-to-one message, addressed by its
// sender, recipient and key parts, made atomically with the events about
// it. The callbacks run inside the store's transaction on the message as
// stored, so the rules they apply see the current state.
type C2CChange struct {
	AppID  uint64
	From   string
	To     string
	Seq    uint32
	Random uint32
	Time   int64
	// Apply changes Body, CloudCustomData and FlagBits of the message in
	// place, or refuses with an error; nothing is written then.
	Apply func(m *C2CMessage) error
	// Events is what the change puts into the streams, built from the
	// changed message.
	Events func(m *C2CMessage) StreamWrite
	// Entry, when set, rewrites the message's own entries in both sides'
	// streams (those with this message's Time whose payload starts with
	// EntryPrefix) to Entry of the changed message, so that a device that
	// syncs later receives the message as it is now.
	EntryPrefix string
	Entry       func(m *C2CMessage) json.RawMessage
}

// C2CChanged is what UpdateC2C did: the message after the change and the
// committed events, for the caller to push.
type C2CChanged struct {
	Msg    C2CMessage
	Write  StreamWrite
	Result StreamResult
}

// C2CReadMark moves a read mark (MarkC2CRead).
type C2CReadMark struct {
	AppID  uint64
	Reader string
	Peer   string
	// Time is the new mark: messages with MsgTime at or before it are
	// read.
	Time int64
	// Events is what the move puts into the streams, given the reader's
	// unread count in the conversation after it.
	Events func(unread int64) StreamWrite
}

// C2CReadResult is what MarkC2CRead did.
type C2CReadResult struct {
	// Advanced is false when the mark was already at or after Time.
	Advanced bool
	// Time is the mark in force now; Unread the reader's unread count in
	// the conversation under it.
	Time   int64
	Unread int64
	Write  StreamWrite
	Result StreamResult
}
