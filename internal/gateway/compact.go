package gateway

import (
	"bytes"
	"strings"

	"github.com/gobwas/ws"
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

// pushFrames is one push made a WebSocket frame for each protocol: compact
// is full itself when the push has nothing to leave out.
type pushFrames struct {
	full, compact *[]byte
}

// framePush makes payload, a push as encodePush built it, a frame for
// each protocol, once for every connection that receives it.
func framePush(payload []byte) pushFrames {
	full := encodeFrame(ws.OpText, payload)
	f := pushFrames{full: &full, compact: &full}
	if small := compactPush(payload); len(small) < len(payload) {
		frame := encodeFrame(ws.OpText, small)
		f.compact = &frame
	}
	return f
}

// forConn is the frame c's protocol takes.
func (f pushFrames) forConn(c *conn) *[]byte {
	if c.compact {
		return f.compact
	}
	return f.full
}

// joinFrames joins the frames of batch, size bytes in protocol 1, for one
// write of several pushes.
func joinFrames(batch []outFrame, size int) pushFrames {
	full := make([]byte, 0, size)
	same := true
	for _, b := range batch {
		full = append(full, *b.frames.full...)
		same = same && b.frames.compact == b.frames.full
	}
	if same {
		return pushFrames{full: &full, compact: &full}
	}
	compact := make([]byte, 0, size)
	for _, b := range batch {
		compact = append(compact, *b.frames.compact...)
	}
	return pushFrames{full: &full, compact: &compact}
}

// compactPush is payload, a push frame's JSON, in protocol 2; payload
// itself when nothing can be left out (or it is not a push of ours). The
// event's kept members are copied byte for byte: every string stays as
// the sender wrote it.
func compactPush(payload []byte) []byte {
	top, ok := members(payload)
	if !ok {
		return payload
	}
	var event member
	known := map[string][]byte{}
	for _, m := range top {
		switch m.key {
		case "event":
			event = m
		case "GroupId", "MsgSeq":
			known[m.key] = m.value
		}
	}
	if event.value == nil || len(known) == 0 {
		return payload
	}
	inner, ok := members(event.value)
	if !ok {
		return payload
	}
	kept := make([]member, 0, len(inner))
	for _, m := range inner {
		if v, dup := known[m.key]; dup && bytes.Equal(v, m.value) {
			continue
		}
		if m.key == "MsgPriority" && string(m.value) == `"Normal"` {
			continue
		}
		kept = append(kept, m)
	}
	if len(kept) == len(inner) {
		return payload
	}
	out := make([]byte, 0, len(payload))
	out = append(out, payload[:event.start]...)
	out = append(out, '{')
	for i, m := range kept {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, m.raw...)
	}
	out = append(out, '}')
	return append(out, payload[event.end:]...)
}

// member is one member of a JSON object: raw is `"key":value` as written,
// value its value, start and end the value's offsets in the object.
type member struct {
	key        string
	raw, value []byte
	start, end int
}

// members splits a JSON object into its members, in order. It scans
// instead of decoding: the objects are pushes that encodePush built from
// stored JSON, and this runs for every push of every message. It checks
// the structure it walks (strings, nesting, separators), not every literal.
func members(obj []byte) ([]member, bool) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, false
	}
	i = skipSpace(obj, i+1)
	var out []member
	if i < len(obj) && obj[i] == '}' {
		return out, skipSpace(obj, i+1) == len(obj)
	}
	for i < len(obj) {
		from := i
		keyEnd, ok := skipString(obj, i)
		if !ok {
			return nil, false
		}
		i = skipSpace(obj, keyEnd)
		if i >= len(obj) || obj[i] != ':' {
			return nil, false
		}
		start := skipSpace(obj, i+1)
		end, ok := skipValue(obj, start)
		if !ok {
			return nil, false
		}
		// An escaped key keeps its escapes: it matches none of the keys
		// compactPush looks for, so its member is kept as it is.
		out = append(out, member{key: string(obj[from+1 : keyEnd-1]), raw: obj[from:end], value: obj[start:end], start: start, end: end})
		i = skipSpace(obj, end)
		switch {
		case i < len(obj) && obj[i] == ',':
			i = skipSpace(obj, i+1)
		case i < len(obj) && obj[i] == '}':
			return out, skipSpace(obj, i+1) == len(obj)
		default:
			return nil, false
		}
	}
	return nil, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// skipString returns the offset after the string starting at b[i].
func skipString(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// skipValue returns the offset after the value starting at b[i].
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, ok := skipString(b, i)
				if !ok {
					return 0, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	}
	start := i
	for i < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[i])) {
		i++
	}
	return i, i > start
}
