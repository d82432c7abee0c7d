package gateway

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"github.com/chatd/chatd/internal/im"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// nextReply reads a text frame and decodes it.
func (w *wireConn) nextReply() map[string]any {
	w.t.Helper()
	f := w.next()
	var m map[string]any
	if f.Header.OpCode != ws.OpText || json.Unmarshal(f.Payload, &m) != nil {
		w.t.Fatalf("want a JSON reply, got %v %q", f.Header.OpCode, f.Payload)
	}
	return m
}

// TestWebSocketDetails: what RFC 6455 and docs/client-protocol.md require
// of frames a careless or hostile client sends.
func TestWebSocketDetails(t *testing.T) {
	h := newHarness(t, Config{})

	closes := []struct {
		name  string
		frame ws.Frame
		want  ws.StatusCode
	}{
		{"text that is not UTF-8", masked(ws.OpText, true, "{\"id\":2,\"op\":\"heart\xffbeat\"}"), ws.StatusInvalidFramePayloadData},
		{"text ending inside a character", masked(ws.OpText, true, "\xe2\x82"), ws.StatusInvalidFramePayloadData},
		{"close with a 1-byte payload", masked(ws.OpClose, true, "\x03"), ws.StatusProtocolError},
		{"close with status 999", masked(ws.OpClose, true, string(ws.NewCloseFrameBody(999, ""))), ws.StatusProtocolError},
		{"close with status 1005", masked(ws.OpClose, true, string(ws.NewCloseFrameBody(1005, ""))), ws.StatusProtocolError},
		{"close with status 5000", masked(ws.OpClose, true, string(ws.NewCloseFrameBody(5000, ""))), ws.StatusProtocolError},
		{"close with a reason that is not UTF-8", masked(ws.OpClose, true, string(ws.NewCloseFrameBody(ws.StatusNormalClosure, "\xff"))), ws.StatusInvalidFramePayloadData},
		{"close with an application status", masked(ws.OpClose, true, string(ws.NewCloseFrameBody(4000, "bye"))), 4000},
		{"close without a status", masked(ws.OpClose, true, ""), 0},
	}
	for _, tt := range closes {
		t.Run(tt.name, func(t *testing.T) {
			w := h.dialWire(loginFrame("careless"))
			w.expectReply("login")
			w.write(tt.frame)
			f := w.next()
			if f.Header.OpCode != ws.OpClose {
				t.Fatalf("want a close frame, got %v %q", f.Header.OpCode, f.Payload)
			}
			if tt.want == 0 && len(f.Payload) != 0 {
				t.Fatalf("close without a status answered with %q", f.Payload)
			}
			if got, reason := ws.ParseCloseFrameData(f.Payload); tt.want != 0 && got != tt.want {
				t.Fatalf("close status %d %q, want %d", got, reason, tt.want)
			}
			if tt.frame.Header.OpCode != ws.OpClose { // the server began the handshake: finish it
				w.write(masked(ws.OpClose, true, string(f.Payload)))
			}
			if _, err := w.br.ReadByte(); err == nil {
				t.Fatal("the socket stayed open after the close")
			}
		})
	}

	t.Run("64-bit length with the top bit set", func(t *testing.T) {
		w := h.dialWire(loginFrame("huge"))
		w.expectReply("login")
		hdr := []byte{0x81, 0x80 | 127}
		hdr = binary.BigEndian.AppendUint64(hdr, 1<<63|5)
		hdr = append(hdr, 1, 2, 3, 4) // mask
		if _, err := w.nc.Write(hdr); err != nil {
			t.Fatal(err)
		}
		w.expectClose(ws.StatusProtocolError)
	})

	replies := []struct {
		name, frame string
		wantID      float64
		wantOp      string
	}{
		{"null", `null`, 0, ""},
		{"an array", `[{"id":2,"op":"heartbeat"}]`, 0, ""},
		{"id of the wrong type", `{"id":"seven","op":"heartbeat"}`, 0, "heartbeat"},
		{"id a fraction", `{"id":1.5,"op":"heartbeat"}`, 0, "heartbeat"},
		{"GroupId of the wrong type", `{"id":9,"op":"join_group","GroupId":5}`, 9, "join_group"},
		{"SDKAppID of the wrong type", `{"op":"login","SDKAppID":true,"id":4}`, 4, "login"},
		{"op of the wrong type", `{"id":3,"op":7}`, 3, ""},
	}
	for _, tt := range replies {
		t.Run("after login: "+tt.name, func(t *testing.T) {
			w := h.dialWire(loginFrame("sloppy"))
			w.expectReply("login")
			w.write(masked(ws.OpText, true, tt.frame))
			m := w.nextReply()
			if m["ErrorCode"] != float64(60003) || m["id"] != tt.wantID || m["op"] != tt.wantOp {
				t.Fatalf("reply %v, want 60003 with id %v and op %q", m, tt.wantID, tt.wantOp)
			}
			w.write(masked(ws.OpText, true, `{"id":10,"op":"heartbeat"}`))
			w.expectReply("heartbeat") // the connection stays open
		})
	}

	t.Run("before login: SDKAppID of the wrong type", func(t *testing.T) {
		w := h.dialWire(masked(ws.OpText, true, fmt.Sprintf(`{"id":4,"op":"login","SDKAppID":true,"UserID":"u","UserSig":"good"}`)))
		m := w.nextReply()
		if m["ErrorCode"] != float64(60003) || m["id"] != float64(4) || m["op"] != "login" {
			t.Fatalf("reply %v, want 60003 for request 4", m)
		}
		w.expectClose(ws.StatusPolicyViolation)
	})

	t.Run("before login: null", func(t *testing.T) {
		w := h.dialWire(masked(ws.OpText, true, `null`))
		if m := w.nextReply(); m["ErrorCode"] != float64(60003) {
			t.Fatalf("reply %v, want 60003", m)
		}
		w.expectClose(ws.StatusPolicyViolation)
	})
}

// TestRequestPanicIsAnswered: a panic while handling a request becomes the
// internal-error reply of its area and a log line, never a lost socket.
func TestRequestPanicIsAnswered(t *testing.T) {
	h := newHarness(t, Config{})
	auth, join := h.gw.deps.Authenticate, h.gw.deps.CheckJoin
	h.gw.deps.Authenticate = func(ctx context.Context, app uint64, user, sig string) (func() error, error) {
		if sig == "panic" {
			panic("authenticate slipped")
		}
		return auth(ctx, app, user, sig)
	}
	h.gw.deps.CheckJoin = func(ctx context.Context, app uint64, group, user string) error {
		if group == "av-panic" {
			var m map[string]bool
			m[group] = true
		}
		return join(ctx, app, group, user)
	}

	t.Run("after login the connection stays usable", func(t *testing.T) {
		w := h.dialWire(loginFrame("ok"))
		w.expectReply("login")
		w.write(masked(ws.OpText, true, `{"id":2,"op":"join_group","GroupId":"av-panic"}`))
		if m := w.nextReply(); m["ErrorCode"] != float64(10002) || m["id"] != float64(2) || m["GroupId"] != "av-panic" {
			t.Fatalf("reply %v, want 10002 for request 2", m)
		}
		w.write(masked(ws.OpText, true, `{"id":3,"op":"join_group","GroupId":"av-fine"}`))
		w.expectReply("join_group")
	})

	t.Run("before login the reply is followed by 1011", func(t *testing.T) {
		w := h.dialWire(masked(ws.OpText, true, fmt.Sprintf(`{"id":1,"op":"login","SDKAppID":%d,"UserID":"p","UserSig":"panic"}`, testApp)))
		if m := w.nextReply(); m["ErrorCode"] != float64(70500) || m["id"] != float64(1) {
			t.Fatalf("reply %v, want 70500 for request 1", m)
		}
		w.expectClose(ws.StatusInternalServerError)
	})
}

// TestSocketsOutliveHTTPTimeouts: the HTTP server's read and write
// timeouts (which cut stalled REST bodies) end with the upgrade: a
// WebSocket keeps reading and writing long after them.
func TestSocketsOutliveHTTPTimeouts(t *testing.T) {
	h := newHarness(t, Config{})
	srv := httptest.NewUnstartedServer(h.gw)
	srv.Config.ReadTimeout = 100 * time.Millisecond
	srv.Config.WriteTimeout = 100 * time.Millisecond
	srv.Start()
	defer srv.Close()
	timed := &harness{t: t, gw: h.gw, srv: srv}

	w := timed.dialWire(loginFrame("long"))
	w.expectReply("login")
	time.Sleep(300 * time.Millisecond) // well past both timeouts
	w.write(masked(ws.OpText, true, `{"id":2,"op":"heartbeat"}`))
	w.expectReply("heartbeat")

	// A push larger than the socket buffers is finished by the writer
	// goroutine with blocking writes, which a stale deadline would fail.
	big := `{"blob":"` + strings.Repeat("x", 8<<20) + `"}`
	if err := h.gw.DeliverUser(context.Background(), testApp, "long", im.Push{Event: json.RawMessage(big)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let the writer block on a full buffer
	_ = w.nc.SetDeadline(time.Now().Add(waitTimeout))
	f := w.next()
	if f.Header.OpCode != ws.OpText || len(f.Payload) < 8<<20 {
		t.Fatalf("want the %d-byte push, got %v of %d bytes", len(big), f.Header.OpCode, len(f.Payload))
	}
}
