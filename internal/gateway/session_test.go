package gateway

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/chatd/chatd/client"
	"github.com/chatd/chatd/internal/im"
)

func TestLogin(t *testing.T) {
	tests := []struct {
		name     string
		app      uint64
		user     string
		sig      string
		wantCode int
	}{
		{"good", testApp, "alice", "good", 0},
		{"first login, account written after the reply", testApp, "alice", "new", 0},
		{"expired UserSig passes 70001 through", testApp, "alice", "expired", im.CodeSigExpired},
		{"bad UserSig passes 70009 through", testApp, "alice", "forged", im.CodeSigMismatch},
		{"unknown app", 42, "alice", "good", im.CodeBadSDKAppID},
		{"missing SDKAppID", 0, "alice", "good", im.CodeMissingSDKAppID},
		{"missing UserID", testApp, "", "good", im.CodeBadURLParam},
		{"missing UserSig", testApp, "alice", "", im.CodeBadURLParam},
		{"internal failure is masked", testApp, "alice", "boom", im.CodeAccountInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			// The dial context ends right after Dial: it must not take the
			// connection down with it.
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			c, err := client.Dial(ctx, h.srv.URL, tt.app, tt.user, tt.sig)
			cancel()
			if got := codeOf(err); got != tt.wantCode || (tt.wantCode == 0) != (err == nil) {
				t.Fatalf("Dial error = %v (code %d), want code %d", err, got, tt.wantCode)
			}
			if err != nil {
				waitFor(t, "the refused socket to go", func() bool { return h.gw.Stats().Connections == 0 })
				return
			}
			defer c.Close()
			if s := h.gw.Stats(); s.Users != 1 || s.Connections != 1 {
				t.Fatalf("Stats = %+v, want 1 user on 1 connection", s)
			}
			h.join(c, "av-1")
		})
	}
}

// TestLoginAccountNotSaved: a first login is answered before its account
// is written; if the write then fails, the connection is closed with 1011
// before any further frame of the client is handled.
func TestLoginAccountNotSaved(t *testing.T) {
	h := newHarness(t, Config{})
	r := h.raw()
	r.send(fmt.Sprintf(`{"id":1,"op":"login","SDKAppID":%d,"UserID":"alice","UserSig":"unsaved"}`, testApp))
	if m := r.read(); m["ErrorCode"] != float64(0) {
		t.Fatalf("login reply = %v", m)
	}
	if code, _ := r.closed(); code != websocket.StatusInternalError {
		t.Fatalf("close status = %d, want 1011", code)
	}
	waitFor(t, "the user to go offline", func() bool { return h.gw.Stats().Users == 0 })

	// The Go client, whose first sync is under way when the connection
	// ends, ends cleanly: its Events channel closes, nothing panics.
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		c, err := client.Dial(ctx, h.srv.URL, testApp, "bob", "unsaved")
		cancel()
		if err == nil {
			for range c.Events() {
			}
		}
	}
}

func TestFramesBeforeLoginAreRefused(t *testing.T) {
	tests := []struct {
		name     string
		frame    string
		binary   bool
		wantID   float64
		wantOp   string
		wantCode int
	}{
		{"op before login", `{"id":7,"op":"join_group","GroupId":"av-1"}`, false, 7, "join_group", im.CodeBadURLParam},
		{"heartbeat before login", `{"id":8,"op":"heartbeat"}`, false, 8, "heartbeat", im.CodeBadURLParam},
		{"not JSON", `hello`, false, 0, "", im.CodeBodyNotJSON},
		{"binary frame", `{"id":1,"op":"login"}`, true, 0, "", im.CodeBodyNotJSON},
		{"refused login", fmt.Sprintf(`{"id":3,"op":"login","SDKAppID":%d,"UserID":"a","UserSig":"x"}`, testApp), false, 3, "login", im.CodeSigMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			r := h.raw()
			typ := websocket.MessageText
			if tt.binary {
				typ = websocket.MessageBinary
			}
			if err := r.ws.Write(context.Background(), typ, []byte(tt.frame)); err != nil {
				t.Fatal(err)
			}
			m := r.read()
			if m["id"] != tt.wantID || m["op"] != tt.wantOp || m["ErrorCode"] != float64(tt.wantCode) {
				t.Fatalf("reply = %v, want id %v op %q code %d", m, tt.wantID, tt.wantOp, tt.wantCode)
			}
			if code, _ := r.closed(); code != websocket.StatusPolicyViolation {
				t.Fatalf("close status = %d, want 1008", code)
			}
		})
	}
}

func TestProtocolAfterLogin(t *testing.T) {
	h := newHarness(t, Config{})
	r := h.raw()
	// SDKAppID as a string is accepted: JavaScript clients often send it so.
	r.send(fmt.Sprintf(`{"id":1,"op":"login","SDKAppID":"%d","UserID":"alice","UserSig":"good"}`, testApp))
	login := r.read()
	if login["ErrorCode"] != float64(0) || login["HeartbeatIntervalMs"] != float64(DefaultHeartbeatInterval.Milliseconds()) {
		t.Fatalf("login reply = %v", login)
	}
	tests := []struct {
		frame    string
		wantCode int
	}{
		{`{"id":2,"op":"heartbeat"}`, 0},
		{`{"id":3,"op":"dance"}`, im.CodeUnknownPath},
		{`{"id":4,"op":"login","SDKAppID":1,"UserID":"x","UserSig":"good"}`, im.CodeBadURLParam},
		{`not json`, im.CodeBodyNotJSON},
		{`{"id":6,"op":"join_group"}`, im.CodeGroupBadParam},
		{`{"id":7,"op":"join_group","GroupId":"work-1"}`, im.CodeGroupNotAllowed},
		{`{"id":8,"op":"join_group","GroupId":"nope"}`, im.CodeGroupNotFound},
		{`{"id":9,"op":"join_group","GroupId":"av-1"}`, 0},
		{`{"id":10,"op":"join_group","GroupId":"av-1"}`, 0},
		{`{"id":11,"op":"quit_group","GroupId":"av-1"}`, 0},
		{`{"id":12,"op":"quit_group","GroupId":"av-1"}`, 0},
		{`{"id":13,"op":"heartbeat"}`, 0}, // still open after the errors
	}
	for _, tt := range tests {
		r.send(tt.frame)
		if m := r.read(); m["ErrorCode"] != float64(tt.wantCode) {
			t.Errorf("%s: reply %v, want code %d", tt.frame, m, tt.wantCode)
		}
	}
}

func TestOversizedFrameClosesConnection(t *testing.T) {
	h := newHarness(t, Config{MaxFrameBytes: 1024})
	r := h.raw()
	r.login("alice")
	r.send(fmt.Sprintf(`{"id":2,"op":"heartbeat","pad":%q}`, strings.Repeat("x", 2048)))
	if code, _ := r.closed(); code != websocket.StatusMessageTooBig {
		t.Fatalf("close status = %d, want 1009", code)
	}
	waitFor(t, "the user to go offline", func() bool { return h.gw.Stats().Users == 0 })
}

func TestLoginTimeout(t *testing.T) {
	h := newHarness(t, Config{LoginTimeout: 50 * time.Millisecond})
	r := h.raw()
	if code, reason := r.closed(); code != websocket.StatusPolicyViolation || reason != "login timeout" {
		t.Fatalf("closed with %d %q, want 1008 login timeout", code, reason)
	}
	waitFor(t, "the socket to be forgotten", func() bool { return h.gw.Stats().Connections == 0 })
}

func TestIdleConnectionIsClosed(t *testing.T) {
	h := newHarness(t, Config{HeartbeatInterval: 20 * time.Millisecond, IdleTimeout: 60 * time.Millisecond})
	dead := h.dial("ghost", client.WithHeartbeatInterval(-1))
	h.join(dead, "av-1")
	if got := waitDone(t, dead); got != int(websocket.StatusPolicyViolation) {
		t.Fatalf("close status = %d (%v), want 1008", got, dead.Err())
	}
	waitFor(t, "the idle user to leave the room", func() bool { return h.count("av-1") == 0 })
	if s := h.gw.Stats(); s.Users != 0 {
		t.Fatalf("Stats after idle close = %+v", s)
	}
}

func TestLogout(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.dial("alice")
	h.join(c, "av-1")
	if err := c.Logout(context.Background()); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if got := waitDone(t, c); got != int(websocket.StatusNormalClosure) {
		t.Fatalf("close status = %d, want 1000", got)
	}
	if n := h.count("av-1"); n != 0 {
		t.Fatalf("count after logout = %d", n)
	}
}

func TestMaxConnectionsPerUserEvictsOldest(t *testing.T) {
	h := newHarness(t, Config{MaxConnsPerUser: 2})
	first, second := h.dial("alice"), h.dial("alice")
	h.join(first, "av-1")
	third := h.dial("alice")
	ev := nextEvent(t, first)
	if ev.Op != opKicked || field(t, ev.Raw, "Reason") != ReasonMaxConnections {
		t.Fatalf("oldest connection got %s, want kicked/%s", ev.Raw, ReasonMaxConnections)
	}
	if got := waitDone(t, first); got != int(closeKicked) {
		t.Fatalf("close status = %d, want %d", got, closeKicked)
	}
	if n := h.count("av-1"); n != 0 {
		t.Fatalf("evicted connection still counted in its room: %d", n)
	}
	h.join(second, "av-1")
	h.join(third, "av-1")
	if s := h.gw.Stats(); s.Users != 1 || h.count("av-1") != 1 {
		t.Fatalf("Stats = %+v count %d, want one user", s, h.count("av-1"))
	}
}

func TestShutdownClosesEveryConnection(t *testing.T) {
	h := newHarness(t, Config{})
	clients := []*client.Client{h.dial("a"), h.dial("b"), h.dial("a")}
	h.join(clients[0], "av-1")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := h.gw.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for i, c := range clients {
		if got := waitDone(t, c); got != int(websocket.StatusGoingAway) {
			t.Errorf("client %d: close status %d, want 1001", i, got)
		}
	}
	if s := h.gw.Stats(); s != (Stats{}) || h.count("av-1") != 0 {
		t.Fatalf("after Shutdown: Stats %+v, count %d", s, h.count("av-1"))
	}
	if _, err := client.Dial(ctx, h.srv.URL, testApp, "late", "good"); err == nil {
		t.Fatal("Dial after Shutdown succeeded")
	}
}

// TestJoinRacingABan: a ban recorded while join_group is between its
// check and its entry keeps the user out, whether its drop ran here
// before the entry (another member keeps the room here) or reached this
// node not at all (the first entry here: other nodes' drops went to
// nodes in the room).
func TestJoinRacingABan(t *testing.T) {
	tests := []struct {
		name           string
		othersHere     bool
		droppedHereToo bool
	}{
		{"dropped here while checking", true, true},
		{"first entry here, drop not seen", false, false},
		{"first entry here, dropped here while checking", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			const room = "av-race"
			if tt.othersHere {
				h.join(h.dial("viewer"), room)
			}
			mallory := h.dial("mallory")
			checked, proceed := make(chan struct{}), make(chan struct{})
			h.mu.Lock()
			h.checked = func(_, user string) {
				if user == "mallory" {
					close(checked)
					<-proceed
				}
			}
			h.mu.Unlock()
			joined := make(chan error, 1)
			go func() { joined <- mallory.JoinGroup(bg, room) }()
			<-checked
			h.ban(room, "mallory")
			if tt.droppedHereToo {
				if err := h.gw.DropFromRoom(bg, testApp, room, "mallory"); err != nil {
					t.Fatal(err)
				}
			}
			close(proceed)
			if got := codeOf(<-joined); got != im.CodeGroupNotAllowed {
				t.Fatalf("join code %d, want %d", got, im.CodeGroupNotAllowed)
			}
			want := 0
			if tt.othersHere {
				want = 1
			}
			if got := h.count(room); got != want {
				t.Fatalf("room counts %d, want %d (mallory out)", got, want)
			}
		})
	}
}
