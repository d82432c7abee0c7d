package gateway

import (
	"bytes"

	"github.com/chatd/chatd/internal/jsonobj"
)

// Protocol 2 (docs/client-protocol.md, "Protocol versions") is protocol 1
// with smaller pushes, for clients that ask for it at login: a push's
// event leaves out the fields its frame already carries at the top level
// with the same value (GroupId, MsgSeq), and MsgPriority when it is
// Normal. A group message to a live room is about a fifth smaller.
const (
	protocolBase    = 1
	protocolCompact = 2
)

// compactPush is payload, a push frame's JSON, in protocol 2; payload
// itself when nothing can be left out (or it is not a push of ours). The
// event's kept members are copied byte for byte: every string stays as
// the sender wrote it.
func compactPush(payload []byte) []byte {
	top, ok := jsonobj.Members(payload)
	if !ok {
		return payload
	}
	var event jsonobj.Member
	known := map[string][]byte{}
	for _, m := range top {
		switch m.Key {
		case "event":
			event = m
		case "GroupId", "MsgSeq":
			known[m.Key] = m.Value
		}
	}
	if event.Value == nil || len(known) == 0 {
		return payload
	}
	inner, ok := jsonobj.Members(event.Value)
	if !ok {
		return payload
	}
	kept := make([]jsonobj.Member, 0, len(inner))
	for _, m := range inner {
		if v, dup := known[m.Key]; dup && bytes.Equal(v, m.Value) {
			continue
		}
		if m.Key == "MsgPriority" && string(m.Value) == `"Normal"` {
			continue
		}
		kept = append(kept, m)
	}
	if len(kept) == len(inner) {
		return payload
	}
	out := make([]byte, 0, len(payload))
	out = append(out, payload[:event.Start]...)
	out = append(out, '{')
	for i, m := range kept {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, m.Raw...)
	}
	out = append(out, '}')
	return append(out, payload[event.End:]...)
}
