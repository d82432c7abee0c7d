package webhook

import (
	"encoding/json"
	"fmt"
	"hash/fnv"

	"github.com/chatd/chatd/internal/im"
)

// member is the spec's Member object.
type member struct {
	Member_Account string
}

// members lists user IDs as Member objects, never null.
func members(ids []string) []member {
	out := make([]member, len(ids))
	for i, id := range ids {
		out[i] = member{Member_Account: id}
	}
	return out
}

// eventTime is EventTime: Unix milliseconds.
func (s *Sender) eventTime() int64 { return s.now().UnixMilli() }

// msgID is the MsgId of a message. chatd keeps no client message IDs, so
// it derives one in the vendor's shape, "<sender number>-<MsgTime>-
// <random>", the sender number being a hash of the app and the sender:
// the before and after callbacks of one message carry the same MsgId.
func msgID(appID uint64, from string, msgTime int64, random uint32) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", appID, from)
	return fmt.Sprintf("%d-%d-%d", h.Sum64()>>1, msgTime, random)
}

// onlineFlag is OnlineOnlyFlag.
func onlineFlag(online bool) int {
	if online {
		return 1
	}
	return 0
}

// rawBody is a stored MsgBody as the body's JSON array; never null.
func rawBody(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage(`[]`)
	}
	return b
}

// refusal is a before callback's refusal as the caller sees it: a code in
// the app's range passes through with the app's ErrorInfo, anything else
// is the callback's refusal code.
func refusal(ans *answer, lo, hi, refused int) *im.Error {
	if ans.ErrorCode >= lo && ans.ErrorCode <= hi {
		return &im.Error{Code: ans.ErrorCode, Info: ans.ErrorInfo}
	}
	info := ans.ErrorInfo
	if info == "" {
		info = "refused by the app's callback"
	}
	return &im.Error{Code: refused, Info: info}
}

// Code ranges the apps' refusals pass through (webhooks.md, "Before vs
// after").
const (
	c2cCodeLo, c2cCodeHi     = 120001, 130000
	groupCodeLo, groupCodeHi = 10100, 10200
)

// Answer codes of the before-send callbacks.
const (
	answerAllow = 0
	answerDrop  = 2
)
