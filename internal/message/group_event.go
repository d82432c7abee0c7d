package message

import (
	"encoding/json"

	"github.com/chatd/chatd/internal/im"
)

// The events of group messages besides GroupMsg itself
// (docs/client-protocol.md §5, Group message events).
const (
	TypeTopicMsg                = "TopicMsg"
	TypeGroupMsgRecalled        = "GroupMsgRecalled"
	TypeGroupMsgModified        = "GroupMsgModified"
	TypeGroupSystemNotification = "GroupSystemNotification"
	TypeGroupMsgReceipt         = "GroupMsgReceipt"
	TypeBroadcastMsg            = "BroadcastMsg"
)

// topicMsgEvent is a topic message as clients receive it: the topic and
// the message, whose MsgSeq is the topic's. Its own type keeps clients that
// know no topics from taking it for a message of the group's stream.
type topicMsgEvent struct {
	Type    string          `json:"Type"`
	GroupID string          `json:"GroupId"`
	TopicID string          `json:"TopicId"`
	MsgSeq  int64           `json:"MsgSeq"`
	Message json.RawMessage `json:"Message"`
}

// messagePayload is m's event: GroupMsg, or TopicMsg carrying it.
func messagePayload(m *im.GroupMessage, onlineOnly bool) json.RawMessage {
	if m.TopicID == "" {
		return groupMsgPayload(m, onlineOnly)
	}
	return encode(topicMsgEvent{Type: TypeTopicMsg, GroupID: m.GroupID, TopicID: m.TopicID, MsgSeq: m.Seq,
		Message: groupMsgPayload(m, onlineOnly)})
}

// pushOf is the push of a message. A group's message carries its MsgSeq
// at the top, the number of the group's stream; a topic's stream is not
// one a client follows from pushes, so its number stays in the event.
func pushOf(m *im.GroupMessage, onlineOnly bool) im.Push {
	if m.TopicID != "" {
		return im.Push{Event: messagePayload(m, onlineOnly)}
	}
	return im.Push{MsgSeq: m.Seq, Event: messagePayload(m, onlineOnly)}
}

// groupMsgRecalled goes into the group's event stream when messages of
// the group or of one of its topics were recalled.
type groupMsgRecalled struct {
	Type             string  `json:"Type"`
	GroupID          string  `json:"GroupId"`
	TopicID          string  `json:"TopicId,omitempty"`
	Operator_Account string  `json:"Operator_Account"`
	MsgSeqList       []int64 `json:"MsgSeqList"`
	Reason           string  `json:"Reason,omitempty"`
}

// groupMsgModified goes into the group's event stream when a message was
// modified: the message as it is now.
type groupMsgModified struct {
	Type             string          `json:"Type"`
	GroupID          string          `json:"GroupId"`
	TopicID          string          `json:"TopicId,omitempty"`
	Operator_Account string          `json:"Operator_Account"`
	MsgSeq           int64           `json:"MsgSeq"`
	Message          json.RawMessage `json:"Message"`
}

// groupSystemNotification is send_group_system_notification's content.
type groupSystemNotification struct {
	Type    string `json:"Type"`
	GroupID string `json:"GroupId"`
	TopicID string `json:"TopicId,omitempty"`
	Content string `json:"Content"`
}

// receiptCount is one message's read counts.
type receiptCount struct {
	MsgSeq    int64 `json:"MsgSeq"`
	ReadNum   int   `json:"ReadNum"`
	UnreadNum int   `json:"UnreadNum"`
}

// groupMsgReceipt goes into a sender's own stream when members read their
// messages: the new counts.
type groupMsgReceipt struct {
	Type                string         `json:"Type"`
	GroupID             string         `json:"GroupId"`
	Reader_Account      string         `json:"Reader_Account"`
	GroupMsgReceiptList []receiptCount `json:"GroupMsgReceiptList"`
}

// broadcastMsg is send_broadcast_msg's message, pushed to every live room
// of the app; its MsgSeq is the app's broadcast counter.
type broadcastMsg struct {
	Type            string          `json:"Type"`
	MsgSeq          int64           `json:"MsgSeq"`
	MsgTime         int64           `json:"MsgTime"`
	From            string          `json:"From_Account"`
	Random          uint32          `json:"Random"`
	MsgBody         json.RawMessage `json:"MsgBody"`
	CloudCustomData string          `json:"CloudCustomData,omitempty"`
}
