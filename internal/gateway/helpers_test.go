package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/chatd/chatd/client"
	"github.com/chatd/chatd/internal/bus"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/presence"
)

const testApp = 1400000001

// waitTimeout is a failure deadline for conditions that should become true
// promptly; passing runs never approach it.
const waitTimeout = 10 * time.Second

// harness is a real gateway behind a real HTTP server, with stub
// authentication and join rules:
//   - UserSig "good" logs in; "expired" → 70001; "boom" → a plain error;
//     anything else → 70009. Any app but testApp → 60006.
//   - groups "av-*" are live rooms; "work-*" are Work groups (10007);
//     anything else does not exist (10010); banned users get 10007.
type harness struct {
	t       *testing.T
	gw      *Gateway
	srv     *httptest.Server
	tracker *presence.Tracker

	mu     sync.Mutex
	banned map[string]bool // group + "/" + user
	// checked, when set, is called when a join passed its check, before
	// the gateway enters the room.
	checked func(group, user string)
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	b := bus.NewLocal()
	t.Cleanup(func() { _ = b.Close() })
	return newHarnessOnBus(t, cfg, b)
}

// newHarnessOnBus is a harness on a given bus: several of them on one
// NATS bus are several nodes.
func newHarnessOnBus(t *testing.T, cfg Config, b bus.Bus) *harness {
	t.Helper()
	return newHarnessWith(t, cfg, b, nil)
}

// newHarnessWith is newHarnessOnBus with client ops, made once the
// harness exists so that they can use it.
func newHarnessWith(t *testing.T, cfg Config, b bus.Bus, ops func(h *harness) map[string]Op) *harness {
	t.Helper()
	h := &harness{t: t, tracker: presence.NewTracker(nil), banned: map[string]bool{}}
	d := Deps{
		Authenticate: h.authenticate,
		CheckJoin:    h.checkJoin,
		Banned:       h.isBanned,
		Presence:     h.tracker,
		Bus:          b,
	}
	if ops != nil {
		d.Ops = ops(h)
	}
	h.gw = New(cfg, d)
	// As cmd/chatd serves it: upgrades from the listener, the rest
	// through net/http.
	h.srv = httptest.NewUnstartedServer(h.gw)
	h.srv.Listener = h.gw.Listen(h.srv.Listener, Path)
	h.srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = h.gw.Shutdown(ctx)
		h.srv.Close()
	})
	return h
}

func (h *harness) authenticate(_ context.Context, app uint64, user, sig string) (func() error, error) {
	switch {
	case app != testApp:
		return nil, im.Errorf(im.CodeBadSDKAppID, "unknown SDKAppID %d", app)
	case sig == "good":
		return nil, nil
	case sig == "new":
		return func() error { return nil }, nil // a first login, its account written
	case sig == "unsaved":
		return func() error { return errors.New("disk full") }, nil
	case sig == "expired":
		return nil, im.Errorf(im.CodeSigExpired, "UserSig expired")
	case sig == "boom":
		return nil, errors.New("database on fire")
	}
	return nil, im.Errorf(im.CodeSigMismatch, "UserSig verification failed")
}

func (h *harness) checkJoin(_ context.Context, _ uint64, group, user string) error {
	h.mu.Lock()
	banned, checked := h.banned[group+"/"+user], h.checked
	h.mu.Unlock()
	switch {
	case strings.HasPrefix(group, "work-"):
		return im.Errorf(im.CodeGroupNotAllowed, "joining a Work group from the client is not supported")
	case !strings.HasPrefix(group, "av-"):
		return im.Errorf(im.CodeGroupNotFound, "group %s does not exist", group)
	case banned:
		return im.Errorf(im.CodeGroupNotAllowed, "banned from the group")
	}
	if checked != nil {
		checked(group, user)
	}
	return nil
}

func (h *harness) isBanned(_ context.Context, _ uint64, group, user string) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.banned[group+"/"+user], nil
}

func (h *harness) ban(group, user string) {
	h.mu.Lock()
	h.banned[group+"/"+user] = true
	h.mu.Unlock()
}

// dial logs user in with a good UserSig; the client is closed at cleanup.
func (h *harness) dial(user string, opts ...client.Option) *client.Client {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := client.Dial(ctx, h.srv.URL, testApp, user, "good", opts...)
	if err != nil {
		h.t.Fatalf("dial %s: %v", user, err)
	}
	h.t.Cleanup(func() { _ = c.Close() })
	return c
}

func (h *harness) join(c *client.Client, group string) {
	h.t.Helper()
	if err := c.JoinGroup(context.Background(), group); err != nil {
		h.t.Fatalf("join %s: %v", group, err)
	}
}

func (h *harness) count(group string) int { return h.tracker.Count(testApp, group) }

// waitFor polls cond until it holds or the deadline fails the test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// nextEvent returns the client's next pushed event.
func nextEvent(t *testing.T, c *client.Client) client.Event {
	t.Helper()
	ev, err := awaitEvent(c)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// awaitEvent is nextEvent for goroutines other than the test's.
func awaitEvent(c *client.Client) (client.Event, error) {
	select {
	case ev, ok := <-c.Events():
		if !ok {
			return ev, fmt.Errorf("connection ended (%v) while waiting for an event", c.Err())
		}
		return ev, nil
	case <-time.After(waitTimeout):
		return client.Event{}, errors.New("timed out waiting for an event")
	}
}

// waitDone waits until the client's connection ended and returns its
// close status (0 when it ended without one).
func waitDone(t *testing.T, c *client.Client) int {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting for the connection to close")
	}
	var ce *client.CloseError
	if errors.As(c.Err(), &ce) {
		return ce.Code
	}
	return 0
}

// field extracts one top-level field of a frame as a string.
func field(t *testing.T, raw []byte, name string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("frame %s: %v", raw, err)
	}
	v := m[name]
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// rawConn is a bare WebSocket to the gateway, for protocol-level tests the
// client package would not do (bad frames, no reading).
type rawConn struct {
	t  *testing.T
	ws *websocket.Conn
}

func (h *harness) raw() *rawConn {
	h.t.Helper()
	return h.rawWith(nil)
}

// rawWith is raw with the library's dial options (compression, ...).
func (h *harness) rawWith(opts *websocket.DialOptions) *rawConn {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(h.srv.URL, "http")+"/v4/ws", opts)
	if err != nil {
		h.t.Fatalf("raw dial: %v", err)
	}
	ws.SetReadLimit(-1)
	h.t.Cleanup(func() { _ = ws.CloseNow() })
	return &rawConn{t: h.t, ws: ws}
}

func (r *rawConn) send(frame string) {
	r.t.Helper()
	if err := r.ws.Write(context.Background(), websocket.MessageText, []byte(frame)); err != nil {
		r.t.Fatalf("send %s: %v", frame, err)
	}
}

// readRaw returns the next frame as it came.
func (r *rawConn) readRaw() []byte {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	_, data, err := r.ws.Read(ctx)
	if err != nil {
		r.t.Fatalf("read: %v", err)
	}
	return data
}

// read returns the next frame as a generic object.
func (r *rawConn) read() map[string]any {
	r.t.Helper()
	data := r.readRaw()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		r.t.Fatalf("frame %s: %v", data, err)
	}
	return m
}

// closed reads until the server closes and returns the close status.
func (r *rawConn) closed() (websocket.StatusCode, string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for {
		if _, _, err := r.ws.Read(ctx); err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code, ce.Reason
			}
			r.t.Fatalf("connection ended without a close status: %v", err)
		}
	}
}

// login performs a good login on a raw connection.
func (r *rawConn) login(user string) {
	r.t.Helper()
	r.send(fmt.Sprintf(`{"id":1,"op":"login","SDKAppID":%d,"UserID":%q,"UserSig":"good"}`, testApp, user))
	if m := r.read(); m["ErrorCode"] != float64(0) {
		r.t.Fatalf("raw login: %v", m)
	}
}

func codeOf(err error) int {
	var e *client.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}
