package presence

import (
	"bytes"
	"encoding/json"
)

// The kinds of membership a change is about.
const (
	kindRoom  = 1 // a user in a live room (AVChatRoom)
	kindGroup = 2 // a member of stored groups with a connection attached
	kindUser  = 3 // a user connected, with their platforms
)

// The operations of a change.
const (
	opSet    = 1 // the user is there (with these details)
	opRemove = 2 // the user is no longer there
	opDrop   = 3 // live rooms: everyone the node held there is gone
)

// change is one membership change of one node as it travels on the bus.
// Applying a change sets state rather than adjusting it, so applying one
// twice, or one the receiver's state already reflects, changes nothing:
// that is what lets a snapshot and the changes after it overlap.
type change struct {
	Kind int    `json:"k"`
	Op   int    `json:"o"`
	App  uint64 `json:"a"`
	User string `json:"u,omitempty"`
	// IDs is the room (exactly one) or the groups (one or more).
	IDs   []string `json:"i,omitempty"`
	Stamp int64    `json:"s,omitempty"` // rooms: the join stamp
	Join  int64    `json:"j,omitempty"` // rooms: the join time
	Marks []int    `json:"m,omitempty"` // rooms: every mark the user holds there
	// Platforms are a connected user's, sorted.
	Platforms []string `json:"p,omitempty"`
}

// The messages a node publishes on bus.PresenceSubject.
const (
	msgChanges  = "c" // changes, in sequence
	msgBeat     = "b" // still alive; the sequence number it has reached
	msgSnapshot = "s" // one part of everything the node holds
	msgLeave    = "l" // stopping: forget me now
)

// header starts every message, on a line of its own before the changes,
// so a receiver can drop a snapshot it does not need without decoding it.
type header struct {
	Type string `json:"t"`
	Node string `json:"n"`
	// Inc tells one run of a node from the next under the same node ID.
	Inc uint64 `json:"i"`
	// Seq numbers the node's change messages from 1. A snapshot is the
	// state after change message Seq; a beat says Seq was the last sent.
	Seq   uint64 `json:"s,omitempty"`
	Part  int    `json:"p,omitempty"`
	Parts int    `json:"ps,omitempty"`
	// Peers, in the first part of a snapshot, are the other nodes the
	// sender counts, so a node that asked everyone knows whom to wait for.
	Peers []string `json:"peers,omitempty"`
}

func encodeMessage(h header, body []byte) []byte {
	data, _ := json.Marshal(h)
	data = append(data, '\n')
	return append(data, body...)
}

// decodeHeader splits a message into its header and its undecoded body.
func decodeHeader(data []byte) (h header, body []byte, ok bool) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 || json.Unmarshal(data[:i], &h) != nil || h.Node == "" {
		return header{}, nil, false
	}
	return h, data[i+1:], true
}

func decodeChanges(body []byte) ([]change, bool) {
	var cs []change
	if len(body) == 0 {
		return nil, true
	}
	return cs, json.Unmarshal(body, &cs) == nil
}

// encodeChanges packs changes into JSON arrays of at most maxMessageBytes
// each, so no message meets the broker's payload limit however many
// changes there are. It returns at least one array, maybe empty.
func encodeChanges(changes []change) [][]byte {
	var out [][]byte
	cur := []byte{'['}
	for i := range changes {
		b, _ := json.Marshal(&changes[i])
		if len(cur) > 1 && len(cur)+len(b)+2 > maxMessageBytes {
			out = append(out, append(cur, ']'))
			cur = []byte{'['}
		}
		if len(cur) > 1 {
			cur = append(cur, ',')
		}
		cur = append(cur, b...)
	}
	return append(out, append(cur, ']'))
}

// syncMsg on bus.PresenceSyncSubject asks nodes to publish their snapshot
// now: those listed in Of, or every node when Of is empty.
type syncMsg struct {
	Node string   `json:"node"`
	Of   []string `json:"of,omitempty"`
}

// marksMsg asks the node holding a member to change its marks.
type marksMsg struct {
	Node    string `json:"node"`
	AppID   uint64 `json:"app"`
	GroupID string `json:"group"`
	UserID  string `json:"user"`
	Marks   []int  `json:"marks"`
	Add     bool   `json:"add"`
}
