package gateway

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/bus"
)

// Live-room replay. An AVChatRoom's messages are not stored, so a client
// cannot fetch what a bus outage kept from its node. Instead each node
// keeps a short window of the messages it published to each room (whether
// or not it holds connections in the room), and each room it holds notes
// the MsgSeqs it delivered. When its bus reconnects, a node asks the
// others for what they published in its rooms during the window, and
// delivers what it has not delivered yet, in MsgSeq order. A reconnect
// within the window loses no live-room message; a longer outage loses what
// is older than the window (docs/deploy.md).

// Replay window bounds: per room, at most replayEntries messages of the
// last replayWindow.
const (
	replayWindow  = 30 * time.Second
	replayEntries = 256
)

// replayRing is a room's recent messages on this node.
type replayRing struct {
	mu      sync.Mutex
	entries []replayEntry // MsgSeq order of arrival, oldest first
}

type replayEntry struct {
	seq     int64
	at      time.Time
	payload []byte // nil for messages other nodes published
}

// record notes a delivered message; it reports false when the MsgSeq was
// delivered already (a replay racing the live message).
func (r *replayRing) record(seq int64, payload []byte, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.ContainsFunc(r.entries, func(e replayEntry) bool { return e.seq == seq }) {
		return false
	}
	r.trimLocked(now)
	if len(r.entries) >= replayEntries {
		r.entries = slices.Delete(r.entries, 0, 1)
	}
	r.entries = append(r.entries, replayEntry{seq: seq, at: now, payload: payload})
	return true
}

// own returns the messages kept with their payload since the given time.
func (r *replayRing) own(since, now time.Time) []replayItem {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trimLocked(now)
	var out []replayItem
	for _, e := range r.entries {
		if e.payload != nil && !e.at.Before(since) {
			out = append(out, replayItem{Seq: e.seq, Payload: e.payload})
		}
	}
	return out
}

// idle reports whether every entry is older than the window.
func (r *replayRing) idle(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries) == 0 || now.Sub(r.entries[len(r.entries)-1].at) > replayWindow
}

func (r *replayRing) trimLocked(now time.Time) {
	i := 0
	for i < len(r.entries) && now.Sub(r.entries[i].at) > replayWindow {
		i++
	}
	r.entries = slices.Delete(r.entries, 0, i)
}

// replayRequest asks every node for its own messages in the listed rooms.
type replayRequest struct {
	Node  []byte      `json:"node"`
	Since int64       `json:"since"` // Unix milliseconds
	Rooms []replayKey `json:"rooms"`
}

type replayKey struct {
	App   uint64 `json:"app"`
	Group string `json:"group"`
}

// replayAnswer carries one room's messages to the node that asked.
type replayAnswer struct {
	replayKey
	Items []replayItem `json:"items"`
}

type replayItem struct {
	Seq     int64  `json:"seq"`
	Payload []byte `json:"payload"`
}

// The kinds of message on a live room's subject. A ban or a destruction
// travels on the room's own subject, after the pushes before it, so the
// connections it drops still receive those (the dismissal event last).
const (
	roomPush     = 'p' // the MsgSeq (varint, 0 for pushes that have none), then the payload
	roomDropUser = 'x' // the UserID of a banned user
	roomDrop     = 'd' // the room was destroyed
)

// encodeRoomPush is a live-room push on the bus.
func (g *Gateway) encodeRoomPush(seq int64, payload []byte) []byte {
	return g.envelope(binary.AppendVarint([]byte{roomPush}, seq), payload)
}

// onRoom handles a message on a live room's subject from another node.
func (g *Gateway) onRoom(k roomKey, re *roomEntry, msg []byte) {
	if len(msg) == 0 {
		return
	}
	switch msg[0] {
	case roomPush:
		seq, n := binary.Varint(msg[1:])
		if n > 0 {
			g.deliverRoom(re, seq, msg[1+n:])
		}
	case roomDropUser:
		g.dropUserLocal(k, string(msg[1:]))
	case roomDrop:
		g.dropRoomLocal(k)
	}
}

// deliverRoom writes a room's message to its connections here once: a
// message with a MsgSeq delivered before (replayed and live both) is not
// written again.
func (g *Gateway) deliverRoom(re *roomEntry, seq int64, payload []byte) {
	if seq > 0 && !re.delivered.record(seq, nil, g.deps.Now()) {
		return
	}
	re.publish(payload, nil)
}

// recordPublished keeps a message this node published to a room for the
// replay window. Rings of rooms that stopped receiving messages are
// dropped once per window.
func (g *Gateway) recordPublished(k roomKey, seq int64, payload []byte) {
	if seq <= 0 {
		return
	}
	now := g.deps.Now()
	g.replayMu.Lock()
	ring := g.published[k]
	if ring == nil {
		ring = &replayRing{}
		g.published[k] = ring
	}
	if now.Sub(g.replaySwept) > replayWindow {
		g.replaySwept = now
		for key, r := range g.published {
			if r.idle(now) {
				delete(g.published, key)
			}
		}
	}
	g.replayMu.Unlock()
	ring.record(seq, payload, now)
}

// subscribeNode subscribes what every node listens to for its whole life:
// other nodes' replay requests, the answers to its own, and broadcasts to
// every live room.
func (g *Gateway) subscribeNode() {
	for subject, handler := range map[string]func([]byte){
		bus.ReplaySubject():                g.answerReplay,
		bus.NodeSubject(string(g.node[:])): g.receiveReplay,
		bus.BroadcastSubject():             g.onBroadcast,
	} {
		if _, err := g.deps.Bus.Subscribe(subject, handler); err != nil {
			g.log.Error("gateway: subscribe", "subject", subject, "err", err)
		}
	}
}

// requestReplay asks the other nodes for their messages of the replay
// window in every live room this node holds.
func (g *Gateway) requestReplay() {
	g.mu.Lock()
	req := replayRequest{Node: g.node[:], Since: g.deps.Now().Add(-replayWindow).UnixMilli()}
	for k := range g.rooms {
		req.Rooms = append(req.Rooms, replayKey{App: k.app, Group: k.group})
	}
	g.mu.Unlock()
	if len(req.Rooms) == 0 {
		return
	}
	if err := g.publish(g.ctx, bus.ReplaySubject(), g.envelope(mustEncode(req))); err != nil {
		g.log.Warn("replay: request", "err", err)
	}
}

func (g *Gateway) answerReplay(data []byte) {
	msg, ok := g.fromOthers(data)
	if !ok {
		return
	}
	var req replayRequest
	if json.Unmarshal(msg, &req) != nil || len(req.Node) != nodeIDLen {
		return
	}
	since, now := time.UnixMilli(req.Since), g.deps.Now()
	for _, k := range req.Rooms {
		g.replayMu.Lock()
		ring := g.published[roomKey{k.App, k.Group}]
		g.replayMu.Unlock()
		if ring == nil {
			continue
		}
		if items := ring.own(since, now); len(items) > 0 {
			answer := mustEncode(replayAnswer{replayKey: k, Items: items})
			if err := g.publish(g.ctx, bus.NodeSubject(string(req.Node)), g.envelope(answer)); err != nil {
				g.log.Warn("replay: answer", "err", err)
			}
		}
	}
}

func (g *Gateway) receiveReplay(data []byte) {
	msg, ok := g.fromOthers(data)
	if !ok {
		return
	}
	var a replayAnswer
	if json.Unmarshal(msg, &a) != nil {
		return
	}
	g.mu.Lock()
	re := g.rooms[roomKey{a.App, a.Group}]
	g.mu.Unlock()
	if re == nil {
		return
	}
	slices.SortFunc(a.Items, func(x, y replayItem) int { return cmp.Compare(x.Seq, y.Seq) })
	for _, it := range a.Items {
		g.deliverRoom(re, it.Seq, it.Payload)
	}
}
