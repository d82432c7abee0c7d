package client

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// SyncState is how far a user's client has read its streams: the user's
// own (Seq) and each group's messages and events. Save it (it is plain
// JSON) and give it to the next Dial with WithSyncState: the client then
// receives exactly what it missed meanwhile, in order, none twice.
type SyncState struct {
	Seq    int64                `json:"Seq"`
	Groups map[string]GroupSync `json:"Groups"`
	// PushSeq is how far the client has read the app's pushes to all users
	// (AllMemberPush).
	PushSeq int64 `json:"PushSeq"`
}

// GroupSync is how far a client has read one group's streams.
type GroupSync struct {
	MsgSeq   int64 `json:"MsgSeq"`
	EventSeq int64 `json:"EventSeq"`
}

// WithSyncState resumes from a saved state (see SyncState). Without it a
// client starts with the user's stream from its beginning (what is kept:
// 7 days by default) and each group from its newest message.
func WithSyncState(s SyncState) Option {
	return func(o *options) { o.state = &s }
}

// WithoutSync turns off the automatic sync: the client then neither fetches
// what it missed nor follows its groups (it receives only pushes to the
// user and to live groups it joins). For load tools.
func WithoutSync() Option {
	return func(o *options) { o.noSync = true }
}

// The sync ops and the resync push (docs/client-protocol.md §4, §5).
const (
	opSync      = "sync"
	opSyncGroup = "sync_group"
	opSyncPush  = "sync_push"
	opResync    = "resync"
	opPush      = "push"
)

// Personal notices in the user's stream about group memberships.
const (
	typeJoinedGroup = "JoinedGroup"
	typeLeftGroup   = "LeftGroup"
)

// syncRetry is how long a failed sync waits before trying again.
const syncRetry = time.Second

// syncer follows the user's streams. Pushes and synced pages pass through
// emit, which holds emitMu while it checks an event's number against the
// state and hands it to Events: each stream's events come out in order,
// once each, whichever path brought them.
type syncer struct {
	c *Client

	emitMu sync.Mutex // held while checking state and emitting
	state  SyncState
	rooms  map[string]bool // live groups joined: their pushes are not stored
	fresh  bool            // no saved state: unknown groups start at their head

	mu      sync.Mutex
	pending map[string]bool // groups to sync ("" = the user's stream)
	wake    chan struct{}

	// following is closed once the server has answered the first sync:
	// from then on the connection receives its groups' pushes.
	following     chan struct{}
	followingOnce sync.Once
}

func newSyncer(c *Client, saved *SyncState) *syncer {
	s := &syncer{c: c, rooms: map[string]bool{}, pending: map[string]bool{"": true},
		wake: make(chan struct{}, 1), following: make(chan struct{}), state: SyncState{Groups: map[string]GroupSync{}}}
	if saved == nil {
		s.fresh = true
	} else {
		s.state.Seq, s.state.PushSeq = saved.Seq, saved.PushSeq
		for g, pos := range saved.Groups {
			s.state.Groups[g] = pos
		}
	}
	return s
}

// State returns how far the client has read, to save for the next Dial.
func (c *Client) State() SyncState {
	s := c.sync
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	out := SyncState{Seq: s.state.Seq, PushSeq: s.state.PushSeq, Groups: make(map[string]GroupSync, len(s.state.Groups))}
	for g, pos := range s.state.Groups {
		out.Groups[g] = pos
	}
	return out
}

// Sync asks the client to fetch what it missed now (it does so by itself
// after login, after a gap and when the server asks).
func (c *Client) Sync() { c.sync.request("") }

func (s *syncer) follow() { s.followingOnce.Do(func() { close(s.following) }) }

// awaitFollowing waits until the connection follows the user's groups, so
// that whatever is sent to them from then on reaches this client (Dial
// returns only then).
func (s *syncer) awaitFollowing(ctx context.Context) error {
	select {
	case <-s.following:
		return nil
	case <-s.c.done:
		return s.c.closedErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *syncer) enterRoom(groupID string) {
	s.emitMu.Lock()
	s.rooms[groupID] = true
	s.emitMu.Unlock()
}

// request schedules a sync of the user's stream ("") or of a group.
func (s *syncer) request(what string) {
	s.mu.Lock()
	s.pending[what] = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pushFields are the parts of a push frame the syncer reads.
type pushFields struct {
	Op       string          `json:"op"`
	GroupID  string          `json:"GroupId"`
	Seq      int64           `json:"Seq"`
	MsgSeq   int64           `json:"MsgSeq"`
	EventSeq int64           `json:"EventSeq"`
	Event    json.RawMessage `json:"event"`
}

// pushed handles a frame the server sent unasked. It returns false when
// the client is closing.
func (s *syncer) pushed(frame []byte) bool {
	var p pushFields
	_ = json.Unmarshal(frame, &p)
	if p.Op == opResync {
		s.request("")
		return true
	}
	ev := Event{Op: p.Op, GroupID: p.GroupID, Raw: frame, Data: p.Event, Seq: p.Seq, MsgSeq: p.MsgSeq, EventSeq: p.EventSeq}
	if p.Op == opPush {
		ev.Data = fullEvent(p.Event, p.GroupID, p.MsgSeq)
		ev.Type = eventType(ev.Data)
	}
	return s.emit(ev, true)
}

// emit hands ev to Events if it is the next of its stream (or is not in
// one). A pushed event past the next one reveals a gap: it is dropped and
// a sync fetches everything from the gap on, this event included.
func (s *syncer) emit(ev Event, pushed bool) bool {
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	select {
	case <-s.c.done: // Events is closed, or about to be (finish)
		return false
	default:
	}
	if ev.Op == opPush && !s.accept(ev, pushed) {
		return true
	}
	select {
	case s.c.events <- ev:
		return true
	case <-s.c.closing:
		return false
	case <-s.c.done:
		return false
	}
}

// accept advances the state for ev, under emitMu; false drops ev.
func (s *syncer) accept(ev Event, pushed bool) bool {
	switch {
	case ev.Type == TypeAllMemberPush:
		// The app's push stream is shared by all users: a jump in PushSeq
		// is pushes for others, not a gap; a repeat is dropped.
		p, ok := ev.AllMemberPush()
		if !ok || p.PushSeq <= s.state.PushSeq {
			return !ok
		}
		s.state.PushSeq = p.PushSeq
	case ev.Seq > 0:
		if ev.Seq <= s.state.Seq {
			return false // had it
		}
		if ev.Seq > s.state.Seq+1 && pushed {
			s.request("")
			return false
		}
		s.state.Seq = ev.Seq
		s.notice(ev)
	case ev.GroupID != "" && s.rooms[ev.GroupID]:
		// A live room's messages are not stored: nothing to fetch.
	case ev.MsgSeq > 0 || ev.EventSeq > 0:
		pos, known := s.state.Groups[ev.GroupID]
		if !known {
			// A group this client does not follow yet: the user just
			// joined it, and the JoinedGroup notice in the user's stream
			// says from where to follow it. Sync that stream first.
			s.request("")
			return false
		}
		at, seq := &pos.MsgSeq, ev.MsgSeq
		if ev.EventSeq > 0 {
			at, seq = &pos.EventSeq, ev.EventSeq
		}
		if seq <= *at {
			return false
		}
		if seq > *at+1 && pushed {
			s.request(ev.GroupID)
			return false
		}
		*at = seq
		s.state.Groups[ev.GroupID] = pos
	}
	return true
}

// notice follows the personal notices of the user's stream: a group joined
// is synced from where the user joined, a group left is forgotten.
func (s *syncer) notice(ev Event) {
	var n struct {
		Type     string `json:"Type"`
		GroupID  string `json:"GroupId"`
		MsgSeq   int64  `json:"MsgSeq"`
		EventSeq int64  `json:"EventSeq"`
	}
	if json.Unmarshal(ev.Data, &n) != nil || n.GroupID == "" {
		return
	}
	switch n.Type {
	case typeJoinedGroup:
		if _, known := s.state.Groups[n.GroupID]; !known {
			s.state.Groups[n.GroupID] = GroupSync{MsgSeq: n.MsgSeq, EventSeq: n.EventSeq}
			s.request(n.GroupID)
		}
	case typeLeftGroup:
		delete(s.state.Groups, n.GroupID)
	}
}

// run syncs whatever is pending, until the connection ends.
func (s *syncer) run() {
	for {
		s.mu.Lock()
		var what string
		found := false
		for w := range s.pending {
			if w == "" || !found {
				what, found = w, true
			}
		}
		if found {
			delete(s.pending, what)
		}
		s.mu.Unlock()
		if !found {
			select {
			case <-s.wake:
				continue
			case <-s.c.done:
				return
			}
		}
		var err error
		if what == "" {
			err = s.syncUser()
		} else {
			err = s.syncGroup(what)
		}
		var refused *Error
		switch {
		case err == nil:
		case errors.As(err, &refused) && refused.Code == 60009:
			s.follow()
			return // a server without sync: pushes only
		case errors.As(err, &refused):
			// The group is gone or the user left it: stop following it.
			s.emitMu.Lock()
			delete(s.state.Groups, what)
			s.emitMu.Unlock()
		default:
			select {
			case <-s.c.done:
				return
			case <-time.After(syncRetry):
				s.request(what)
			}
		}
	}
}

// syncUser reads the user's stream to its end, then reconciles the groups:
// new ones are followed, left ones forgotten, known ones synced.
func (s *syncer) syncUser() error {
	for {
		s.emitMu.Lock()
		after := s.state.Seq
		s.emitMu.Unlock()
		var resp struct {
			Seq      int64 `json:"Seq"`
			Complete int   `json:"Complete"`
			Events   []struct {
				Seq   int64           `json:"Seq"`
				Event json.RawMessage `json:"event"`
			} `json:"Events"`
			Groups []struct {
				GroupID  string `json:"GroupId"`
				MsgSeq   int64  `json:"MsgSeq"`
				EventSeq int64  `json:"EventSeq"`
			} `json:"Groups"`
		}
		if err := s.c.request(context.Background(), opSync, map[string]any{"Seq": after}, &resp); err != nil {
			return err
		}
		s.follow()
		for _, e := range resp.Events {
			if !s.emit(s.synced(Event{Seq: e.Seq, Data: e.Event}), false) {
				return ErrClosed
			}
		}
		s.emitMu.Lock()
		if resp.Complete == 1 && resp.Seq > s.state.Seq {
			s.state.Seq = resp.Seq // numbers not returned were skipped or expired
		}
		if resp.Complete != 1 {
			s.emitMu.Unlock()
			continue
		}
		current := map[string]bool{}
		var behind []string
		for _, g := range resp.Groups {
			current[g.GroupID] = true
			pos, known := s.state.Groups[g.GroupID]
			switch {
			case !known && s.fresh:
				s.state.Groups[g.GroupID] = GroupSync{MsgSeq: g.MsgSeq, EventSeq: g.EventSeq}
			case !known || pos.MsgSeq < g.MsgSeq || pos.EventSeq < g.EventSeq:
				behind = append(behind, g.GroupID)
			}
		}
		for g := range s.state.Groups {
			if !current[g] {
				delete(s.state.Groups, g)
			}
		}
		s.fresh = false
		s.emitMu.Unlock()
		for _, g := range behind {
			s.request(g)
		}
		return s.syncPushes()
	}
}

// syncPushes reads the app's pushes to all users after the client's
// position (a server without them answers 60009: nothing to read).
func (s *syncer) syncPushes() error {
	for {
		s.emitMu.Lock()
		after := s.state.PushSeq
		s.emitMu.Unlock()
		var page struct {
			PushSeq  int64 `json:"PushSeq"`
			Complete int   `json:"Complete"`
			Pushes   []struct {
				Event json.RawMessage `json:"event"`
			} `json:"Pushes"`
		}
		err := s.c.request(context.Background(), opSyncPush, map[string]any{"PushSeq": after}, &page)
		var refused *Error
		if errors.As(err, &refused) && refused.Code == 60009 {
			return nil
		}
		if err != nil {
			return err
		}
		for _, p := range page.Pushes {
			if !s.emit(s.synced(Event{Data: p.Event}), false) {
				return ErrClosed
			}
		}
		s.emitMu.Lock()
		s.state.PushSeq = max(s.state.PushSeq, page.PushSeq)
		s.emitMu.Unlock()
		if page.Complete == 1 {
			return nil
		}
	}
}

// syncGroup reads a group's streams from the client's positions to their
// heads. A group the client does not know yet is followed from its head.
func (s *syncer) syncGroup(groupID string) error {
	for {
		s.emitMu.Lock()
		pos, known := s.state.Groups[groupID]
		s.emitMu.Unlock()
		req := map[string]any{"GroupId": groupID, "MsgSeq": pos.MsgSeq, "EventSeq": pos.EventSeq}
		if !known {
			req["MsgSeq"] = -1 // heads only
		}
		var resp struct {
			Messages []struct {
				MsgSeq int64           `json:"MsgSeq"`
				Event  json.RawMessage `json:"event"`
			} `json:"Messages"`
			Events []struct {
				EventSeq int64           `json:"EventSeq"`
				Event    json.RawMessage `json:"event"`
			} `json:"Events"`
			MsgSeq   int64 `json:"MsgSeq"`
			EventSeq int64 `json:"EventSeq"`
			Complete int   `json:"Complete"`
		}
		if err := s.c.request(context.Background(), opSyncGroup, req, &resp); err != nil {
			return err
		}
		if !known {
			s.emitMu.Lock()
			if _, raced := s.state.Groups[groupID]; !raced {
				s.state.Groups[groupID] = GroupSync{MsgSeq: resp.MsgSeq, EventSeq: resp.EventSeq}
			}
			s.emitMu.Unlock()
			return nil
		}
		for _, m := range resp.Messages {
			if !s.emit(s.synced(Event{GroupID: groupID, MsgSeq: m.MsgSeq, Data: m.Event}), false) {
				return ErrClosed
			}
		}
		for _, e := range resp.Events {
			if !s.emit(s.synced(Event{GroupID: groupID, EventSeq: e.EventSeq, Data: e.Event}), false) {
				return ErrClosed
			}
		}
		s.emitMu.Lock()
		p := s.state.Groups[groupID]
		// Numbers up to the returned positions that came with nothing are
		// not for this user (not stored, or addressed to other members).
		p.MsgSeq, p.EventSeq = max(p.MsgSeq, resp.MsgSeq), max(p.EventSeq, resp.EventSeq)
		s.state.Groups[groupID] = p
		s.emitMu.Unlock()
		if resp.Complete == 1 {
			return nil
		}
	}
}

// synced completes an event fetched by a sync so it looks like a push.
func (s *syncer) synced(ev Event) Event {
	ev.Op, ev.Type = opPush, eventType(ev.Data)
	frame := struct {
		Op       string          `json:"op"`
		GroupID  string          `json:"GroupId,omitempty"`
		Seq      int64           `json:"Seq,omitempty"`
		MsgSeq   int64           `json:"MsgSeq,omitempty"`
		EventSeq int64           `json:"EventSeq,omitempty"`
		Event    json.RawMessage `json:"event"`
	}{opPush, ev.GroupID, ev.Seq, ev.MsgSeq, ev.EventSeq, ev.Data}
	ev.Raw, _ = json.Marshal(frame)
	return ev
}

// eventType reads the Type of an application event.
func eventType(data json.RawMessage) string {
	var t struct {
		Type string `json:"Type"`
	}
	_ = json.Unmarshal(data, &t)
	return t.Type
}
