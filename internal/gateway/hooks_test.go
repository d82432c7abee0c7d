package gateway

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
)

// hookRecorder keeps what the gateway tells its hooks.
type hookRecorder struct {
	mu     sync.Mutex
	states []StateEvent
	rooms  []RoomEvent
	ops    int
}

func (r *hookRecorder) OpContext(ctx context.Context, s *Session) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.Remote != "" && s.Platform != "" {
		r.ops++
	}
	return ctx
}

func (r *hookRecorder) StateChanged(ev StateEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states = append(r.states, ev)
}

func (r *hookRecorder) RoomChanged(ev RoomEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rooms = append(r.rooms, ev)
}

// state waits for user's next state change and returns it.
func (r *hookRecorder) state(t *testing.T, user string) StateEvent {
	t.Helper()
	var ev StateEvent
	waitFor(t, "a state change of "+user, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		i := slices.IndexFunc(r.states, func(e StateEvent) bool { return e.UserID == user })
		if i < 0 {
			return false
		}
		ev = r.states[i]
		r.states = slices.Delete(r.states, i, i+1)
		return true
	})
	return ev
}

func withHooks(t *testing.T, cfg Config) (*harness, *hookRecorder) {
	t.Helper()
	h := newHarness(t, cfg)
	rec := &hookRecorder{}
	h.gw.deps.Hooks = rec // before any connection
	return h, rec
}

// Each way a session begins and ends is told once: a login (with the
// platforms it evicted, which get no callback of their own), a logout, an
// admin's kick, a closed connection, a heartbeat timeout.
func TestStateHooks(t *testing.T) {
	h, rec := withHooks(t, Config{MaxConnsPerUser: 1, IdleTimeout: 300 * time.Millisecond, HeartbeatInterval: 100 * time.Millisecond})
	ctx := context.Background()
	h.dial("alice")
	if ev := rec.state(t, "alice"); ev.Change != StateLogin || ev.Platform != "Web" || ev.Remote == "" || len(ev.Kicked) != 0 {
		t.Fatalf("login %+v", ev)
	}
	pad := h.dial("alice", client.WithPlatform("iPad"))
	if ev := rec.state(t, "alice"); ev.Change != StateLogin || !slices.Equal(ev.Kicked, []string{"Web"}) {
		t.Fatalf("a login that evicts %+v", ev)
	}
	if err := pad.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if ev := rec.state(t, "alice"); ev.Change != StateLogout || ev.Platform != "iPad" {
		t.Fatalf("logout %+v (the evicted connection must tell nothing)", ev)
	}
	h.dial("bob")
	rec.state(t, "bob")
	if err := h.gw.KickUser(ctx, testApp, "bob"); err != nil {
		t.Fatal(err)
	}
	if ev := rec.state(t, "bob"); ev.Change != StateKicked {
		t.Fatalf("kick %+v", ev)
	}
	carol := h.dial("carol")
	rec.state(t, "carol")
	_ = carol.Close()
	if ev := rec.state(t, "carol"); ev.Change != StateClosed {
		t.Fatalf("close %+v", ev)
	}
	h.dial("dave", client.WithHeartbeatInterval(time.Hour))
	rec.state(t, "dave")
	if ev := rec.state(t, "dave"); ev.Change != StateTimeout {
		t.Fatalf("timeout %+v", ev)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.states) != 0 {
		t.Fatalf("more state changes than sessions did: %+v", rec.states)
	}
}

// A live room tells the user's first entry and last exit on the node,
// whether they quit or their connection ended; client ops and joins run
// in the session's context.
func TestRoomHooks(t *testing.T) {
	h, rec := withHooks(t, Config{})
	a, b := h.dial("eve"), h.dial("eve")
	h.join(a, "av-1")
	h.join(b, "av-1")
	if err := a.QuitGroup(context.Background(), "av-1"); err != nil {
		t.Fatal(err)
	}
	_ = b.Close()
	waitFor(t, "eve to leave", func() bool { return h.count("av-1") == 0 })
	frank := h.dial("frank")
	h.join(frank, "av-1")
	if err := frank.QuitGroup(context.Background(), "av-1"); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	want := []RoomEvent{{Entered: true}, {Entered: false, Quit: false}, {Entered: true}, {Entered: false, Quit: true}}
	if len(rec.rooms) != len(want) {
		t.Fatalf("room events %+v", rec.rooms)
	}
	for i, w := range want {
		if got := rec.rooms[i]; got.Entered != w.Entered || got.Quit != w.Quit || got.GroupID != "av-1" {
			t.Fatalf("event %d: %+v, want %+v", i, got, w)
		}
	}
	if rec.ops < 3 {
		t.Fatalf("joins ran without the session's context (%d)", rec.ops)
	}
}
