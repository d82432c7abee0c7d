package message

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// TestC2CEntryPrefix: the prefix a change looks for is how the message's
// stream entry starts, whatever its content, and no other message's.
func TestC2CEntryPrefix(t *testing.T) {
	m := &im.C2CMessage{From: `al"ice_%`, To: "bob", Seq: 7, Random: 8, Time: 1717000000,
		Body: json.RawMessage(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]`), CloudCustomData: "cd", NeedReadReceipt: true}
	prefix := c2cEntryPrefix(m.From, m.To, m.Seq, m.Random, m.Time)
	for _, p := range []json.RawMessage{c2cMsgPayload(m, false), c2cEntry(m)} {
		if !strings.HasPrefix(string(p), prefix) {
			t.Errorf("%s does not start with %s", p, prefix)
		}
	}
	for _, other := range []*im.C2CMessage{
		{From: m.From, To: "bob2", Seq: 7, Random: 8, Time: m.Time},
		{From: m.From, To: "bob", Seq: 77, Random: 8, Time: m.Time},
		{From: m.From, To: "bob", Seq: 7, Random: 88, Time: m.Time},
		{From: "bob", To: m.From, Seq: 7, Random: 8, Time: m.Time},
	} {
		if p := c2cMsgPayload(other, false); strings.HasPrefix(string(p), prefix) {
			t.Errorf("%s starts with the prefix of another message", p)
		}
	}
	m.FlagBits = im.MsgRecalled | im.FlagNoUnread
	var ev map[string]any
	if err := json.Unmarshal(c2cEntry(m), &ev); err != nil || ev["MsgFlagBits"] != float64(8) {
		t.Errorf("recalled entry %v (%v), want MsgFlagBits 8 and no chatd bits", ev, err)
	}
}
