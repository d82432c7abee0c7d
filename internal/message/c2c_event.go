package message

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/stream"
)

// The events of changes to one-to-one messages (docs/client-protocol.md
// §5). Each goes into the streams of the sides that have the message, so a
// device that was offline syncs it; field names are the REST API's.
const (
	TypeC2CMsgRecalled = "C2CMsgRecalled"
	TypeC2CMsgModified = "C2CMsgModified"
	TypeC2CRead        = "C2CRead"
)

// c2cRecalledEvent: the message From_Account -> To_Account with MsgKey was
// recalled; clients drop its content.
type c2cRecalledEvent struct {
	Type   string `json:"Type"`
	From   string `json:"From_Account"`
	To     string `json:"To_Account"`
	MsgKey string `json:"MsgKey"`
}

// c2cModifiedEvent: the message was modified; only the fields that changed
// are present (CloudCustomData "" when it was cleared).
type c2cModifiedEvent struct {
	Type            string          `json:"Type"`
	From            string          `json:"From_Account"`
	To              string          `json:"To_Account"`
	MsgKey          string          `json:"MsgKey"`
	MsgBody         json.RawMessage `json:"MsgBody,omitempty"`
	CloudCustomData *string         `json:"CloudCustomData,omitempty"`
}

// c2cReadEvent: Report_Account has read the conversation with Peer_Account
// up to MsgReadTime (the messages at or before it). The reader's own
// devices also get the conversation's unread count under the new mark; the
// peer's learn that its messages up to then were read (IsPeerRead).
type c2cReadEvent struct {
	Type        string `json:"Type"`
	Reader      string `json:"Report_Account"`
	Peer        string `json:"Peer_Account"`
	MsgReadTime int64  `json:"MsgReadTime"`
	Unread      *int64 `json:"C2CUnreadMsgNum,omitempty"`
}

// c2cEntry is what m's own stream entries say after a change: its C2CMsg
// event as it is now, with "MsgFlagBits":8 and an empty body once it is
// recalled. A device that syncs after a recall therefore never receives
// the recalled content.
func c2cEntry(m *im.C2CMessage) json.RawMessage {
	p := c2cMsgPayload(m, false)
	if bits := m.FlagBits & im.WireFlagBits; bits != 0 {
		p = append(p[:len(p)-1], `,"MsgFlagBits":`+strconv.Itoa(bits)+`}`...)
	}
	return p
}

// c2cEntryPrefix is how every stream entry of the message (from, to, seq,
// random, time) starts: the C2CMsg fields before MsgBody, which only these
// five decide.
func c2cEntryPrefix(from, to string, seq, random uint32, t int64) string {
	p := c2cMsgPayload(&im.C2CMessage{From: from, To: to, Seq: seq, Random: random, Time: t}, false)
	return string(p[:bytes.Index(p, []byte(`"MsgBody":`))])
}

// sidesOf are the users who have m on their side of the conversation,
// each once: the recipient, and the sender unless SyncOtherMachine 2 kept
// it from them.
func sidesOf(m *im.C2CMessage) []string {
	var out []string
	if !m.HiddenFromRecipient {
		out = append(out, m.To)
	}
	if !m.HiddenFromSender && m.From != m.To {
		out = append(out, m.From)
	}
	return out
}

// toSides is a stream write of ev in the streams of the given users.
func toSides(appID uint64, now time.Time, ev any, users []string) im.StreamWrite {
	w := im.StreamWrite{AppID: appID, Time: now.Unix()}
	payload := encode(ev)
	for _, u := range users {
		w.UserEvents = append(w.UserEvents, im.UserEventAppend{UserID: u, Payload: payload, ExpireAt: stream.Expiry(now, stream.DefaultLifetime)})
	}
	return w
}
