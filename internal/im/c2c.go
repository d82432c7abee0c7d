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
	// FlagBits is MsgFlagBits: 0, or MsgRecalled.
	FlagBits         int
	SupportExtension bool
	NeedReadReceipt  bool
	// PeerRead: the recipient has read it (IsPeerRead).
	PeerRead bool
	// HiddenFrom lists the sides the message is absent from: the sender's
	// side after SyncOtherMachine 2.
	HiddenFromSender    bool
	HiddenFromRecipient bool
}

// MsgRecalled is the MsgFlagBits of a recalled one-to-one message.
const MsgRecalled = 8

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

// C2CStore reads one-to-one messages; they are written through
// StreamStore.CommitStream.
type C2CStore interface {
	// GetC2CMessage returns the message from -> to with the given key
	// parts, or ErrNotFound.
	GetC2CMessage(ctx context.Context, appID uint64, from, to string, seq, random uint32, time int64) (*C2CMessage, error)
	// ListC2CMessages returns owner's side of the conversation with peer:
	// up to limit messages with minTime <= Time <= maxTime, newest first
	// (by Time, then MsgSeq, then MsgRandom); before, when not nil, starts
	// strictly after that message in this order (a paging cursor).
	ListC2CMessages(ctx context.Context, appID uint64, owner, peer string, minTime, maxTime int64, before *C2CMessage, limit int) ([]C2CMessage, error)
}
