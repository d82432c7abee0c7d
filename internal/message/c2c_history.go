package message

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/chatd/chatd/internal/im"
)

// Limits of a one-to-one history page (admin_getroammsg).
const (
	// MaxRoamPage is how many messages one page holds at most.
	MaxRoamPage = 100
	// MaxRoamPageBytes is "about 13 KB" of messages per page: a page
	// stops before the message that would take it past this (a page
	// always holds at least one message, which may be up to 12 KB).
	MaxRoamPageBytes = 13 << 10
	// roamOverhead is what one listed message costs besides its content:
	// its names, numbers, key and field names.
	roamOverhead = 200
)

// RoamInput asks for one page of one side's history of a conversation.
type RoamInput struct {
	// Owner is whose side is read (Operator_Account), Peer the other
	// party.
	Owner string
	Peer  string
	// Want is how many messages the caller wants (MaxCnt).
	Want int
	// MinTime and MaxTime bound MsgTime, both inclusive.
	MinTime int64
	MaxTime int64
	// LastKey continues after the previous page's last (oldest) message.
	LastKey string
}

// RoamPage is a page of one side's history: the newest messages of the
// range (after the cursor), listed oldest first.
type RoamPage struct {
	Messages []im.C2CMessage
	// Complete says nothing more in the range: otherwise continue with
	// MaxTime = LastTime and LastKey.
	Complete bool
	// LastTime and LastKey are the oldest message of the page; 0 and ""
	// on an empty page.
	LastTime int64
	LastKey  string
}

// RoamC2C reads one side of a conversation backwards in time, a page at a
// time. A message sent with SyncOtherMachine 2 is absent from its sender's
// side; recalled messages are listed with MsgFlagBits 8 and no content;
// PeerRead tells whether each message's recipient has read it. Errors:
// 20001 Want not positive, 90054 a malformed LastKey.
func (s *Service) RoamC2C(ctx context.Context, appID uint64, in RoamInput) (RoamPage, error) {
	if in.Want <= 0 {
		return RoamPage{}, &im.Error{Code: im.CodeC2CBadRequest, Info: "MaxCnt must be a positive number of messages"}
	}
	var cursor *im.C2CMessage
	if in.LastKey != "" {
		seq, random, t, ok := im.ParseMsgKey(in.LastKey)
		if !ok {
			return RoamPage{}, im.Errorf(im.CodeMsgKeyInvalid, "LastMsgKey %q is not a message key", in.LastKey)
		}
		cursor = &im.C2CMessage{Seq: seq, Random: random, Time: t}
	}
	limit := min(in.Want, MaxRoamPage)
	// One message more tells whether the range goes on.
	msgs, err := s.store.ListC2CMessages(ctx, appID, in.Owner, in.Peer, in.MinTime, in.MaxTime, cursor, limit+1)
	if err != nil {
		return RoamPage{}, fmt.Errorf("message: history of %s with %s: %w", in.Owner, in.Peer, err)
	}
	size, n := 0, 0
	for n < len(msgs) && n < limit {
		size += len(msgs[n].Body) + len(msgs[n].CloudCustomData) + roamOverhead
		if n > 0 && size > MaxRoamPageBytes {
			break
		}
		n++
	}
	page := RoamPage{Messages: msgs[:n], Complete: n == len(msgs)}
	if n > 0 {
		oldest := &msgs[n-1]
		page.LastTime, page.LastKey = oldest.Time, oldest.Key()
	}
	slices.Reverse(page.Messages)
	return page, nil
}

// NoMaxTime is the MaxTime of a range without an upper bound.
const NoMaxTime = math.MaxInt64

// RoamMsg is one message of a history page as REST (admin_getroammsg's
// MsgList) and clients list it.
type RoamMsg struct {
	From            string          `json:"From_Account"`
	To              string          `json:"To_Account"`
	MsgSeq          uint32          `json:"MsgSeq"`
	MsgRandom       uint32          `json:"MsgRandom"`
	MsgTimeStamp    int64           `json:"MsgTimeStamp"`
	MsgFlagBits     int             `json:"MsgFlagBits"`
	IsPeerRead      int             `json:"IsPeerRead"`
	MsgKey          string          `json:"MsgKey"`
	MsgBody         json.RawMessage `json:"MsgBody"`
	CloudCustomData string          `json:"CloudCustomData"`
}

// List is the page's messages in their wire shape, oldest first.
func (p RoamPage) List() []RoamMsg {
	out := make([]RoamMsg, len(p.Messages))
	for i := range p.Messages {
		m := &p.Messages[i]
		out[i] = RoamMsg{From: m.From, To: m.To, MsgSeq: m.Seq, MsgRandom: m.Random, MsgTimeStamp: m.Time,
			MsgFlagBits: m.FlagBits & im.WireFlagBits, IsPeerRead: flag(m.PeerRead), MsgKey: m.Key(),
			MsgBody: m.Body, CloudCustomData: m.CloudCustomData}
	}
	return out
}
