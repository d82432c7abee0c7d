package message

import (
	"encoding/json"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/stream"
)

// The events messages become, as clients receive them in pushes and syncs
// (docs/client-protocol.md §5). A pushed event and a synced one are built
// by the same function from the same stored message, so they are equal.

// Event types of messages.
const (
	TypeGroupMsg = "GroupMsg"
	TypeC2CMsg   = "C2CMsg"
)

// Priorities by their send_group_msg names (rest-messages.md S6).
var priorities = map[string]int{"High": im.PriorityHigh, "Normal": im.PriorityNormal, "Low": im.PriorityLow}

// priorityName is the reverse of priorities, for events.
var priorityName = map[int]string{im.PriorityHigh: "High", im.PriorityNormal: "Normal", im.PriorityLow: "Low"}

// groupMsgEvent is a group message as clients receive it.
type groupMsgEvent struct {
	Type                    string          `json:"Type"`
	GroupID                 string          `json:"GroupId"`
	MsgSeq                  int64           `json:"MsgSeq"`
	MsgTime                 int64           `json:"MsgTime"`
	From                    string          `json:"From_Account"`
	Random                  uint32          `json:"Random"`
	MsgPriority             string          `json:"MsgPriority"`
	MsgBody                 json.RawMessage `json:"MsgBody"`
	CloudCustomData         string          `json:"CloudCustomData,omitempty"`
	GroupAtInfo             json.RawMessage `json:"GroupAtInfo,omitempty"`
	OnlineOnlyFlag          int             `json:"OnlineOnlyFlag,omitempty"`
	NeedReadReceipt         int             `json:"NeedReadReceipt,omitempty"`
	SupportMessageExtension int             `json:"SupportMessageExtension,omitempty"`
	// Recalled is 1 for a message recalled since; its body is empty then.
	Recalled int `json:"Recalled,omitempty"`
}

// groupMsgPayload is m's event. onlineOnly marks a message that was not
// stored.
func groupMsgPayload(m *im.GroupMessage, onlineOnly bool) json.RawMessage {
	ev := groupMsgEvent{
		Type: TypeGroupMsg, GroupID: m.GroupID, MsgSeq: m.Seq, MsgTime: m.Time, From: m.From, Random: m.Random,
		MsgPriority: priorityName[m.Priority], MsgBody: m.Body, CloudCustomData: m.CloudCustomData, GroupAtInfo: m.AtInfo,
		OnlineOnlyFlag: flag(onlineOnly), NeedReadReceipt: flag(m.NeedReadReceipt), SupportMessageExtension: flag(m.SupportExtension),
	}
	if m.Recalled {
		ev.Recalled, ev.MsgBody = 1, json.RawMessage(`[]`)
	}
	return encode(ev)
}

// c2cMsgEvent is a one-to-one message as both sides receive it.
type c2cMsgEvent struct {
	Type                    string          `json:"Type"`
	From                    string          `json:"From_Account"`
	To                      string          `json:"To_Account"`
	MsgSeq                  uint32          `json:"MsgSeq"`
	MsgRandom               uint32          `json:"MsgRandom"`
	MsgTime                 int64           `json:"MsgTime"`
	MsgKey                  string          `json:"MsgKey"`
	MsgBody                 json.RawMessage `json:"MsgBody"`
	CloudCustomData         string          `json:"CloudCustomData,omitempty"`
	OfflinePushInfo         json.RawMessage `json:"OfflinePushInfo,omitempty"`
	OnlineOnlyFlag          int             `json:"OnlineOnlyFlag,omitempty"`
	IsNeedReadReceipt       int             `json:"IsNeedReadReceipt,omitempty"`
	SupportMessageExtension int             `json:"SupportMessageExtension,omitempty"`
}

// c2cMsgPayload is m's event.
func c2cMsgPayload(m *im.C2CMessage, onlineOnly bool) json.RawMessage {
	return encode(c2cMsgEvent{
		Type: TypeC2CMsg, From: m.From, To: m.To, MsgSeq: m.Seq, MsgRandom: m.Random, MsgTime: m.Time, MsgKey: m.Key(),
		MsgBody: m.Body, CloudCustomData: m.CloudCustomData, OfflinePushInfo: m.OfflinePushInfo,
		OnlineOnlyFlag: flag(onlineOnly), IsNeedReadReceipt: flag(m.NeedReadReceipt), SupportMessageExtension: flag(m.SupportExtension),
	})
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// encode builds an event from our own types and checked JSON, which
// cannot fail to encode.
func encode(v any) json.RawMessage { return stream.Encode(v) }
