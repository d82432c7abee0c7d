package gateway

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// wireConn speaks RFC 6455 by hand over TCP, for what a WebSocket library
// would not let a test do: bytes right behind the upgrade request,
// fragments, unmasked frames, compressed frames of any shape.
type wireConn struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
	// extensions is the server's Sec-WebSocket-Extensions answer.
	extensions string
}

// dialWire upgrades, sending early (already masked frames) in the same
// write as the upgrade request.
func (h *harness) dialWire(early ...ws.Frame) *wireConn {
	h.t.Helper()
	return h.dialWireOffering("", early...)
}

// dialWireOffering is dialWire with offer, when not empty, as the
// request's Sec-WebSocket-Extensions.
func (h *harness) dialWireOffering(offer string, early ...ws.Frame) *wireConn {
	h.t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(waitTimeout))
	var req strings.Builder
	fmt.Fprintf(&req, "GET /v4/ws HTTP/1.1\r\nHost: chatd\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
	if offer != "" {
		fmt.Fprintf(&req, "Sec-WebSocket-Extensions: %s\r\n", offer)
	}
	req.WriteString("\r\n")
	for _, f := range early {
		b, err := ws.CompileFrame(f)
		if err != nil {
			h.t.Fatal(err)
		}
		req.Write(b)
	}
	if _, err := nc.Write([]byte(req.String())); err != nil {
		h.t.Fatal(err)
	}
	w := &wireConn{t: h.t, nc: nc, br: bufio.NewReader(nc)}
	res, err := http.ReadResponse(w.br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		h.t.Fatalf("upgrade: %v %v", res, err)
	}
	w.extensions = res.Header.Get("Sec-WebSocket-Extensions")
	return w
}

func masked(op ws.OpCode, fin bool, payload string) ws.Frame {
	return ws.MaskFrameInPlace(ws.NewFrame(op, fin, []byte(payload)))
}

func (w *wireConn) write(frames ...ws.Frame) {
	w.t.Helper()
	for _, f := range frames {
		if err := ws.WriteFrame(w.nc, f); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *wireConn) next() ws.Frame {
	w.t.Helper()
	f, err := ws.ReadFrame(w.br)
	if err != nil {
		w.t.Fatalf("read frame: %v", err)
	}
	if f.Header.Masked || !f.Header.Fin {
		w.t.Fatalf("server frame %+v: want unmasked and final", f.Header)
	}
	return f
}

// expectReply reads a text frame answering op.
func (w *wireConn) expectReply(op string) {
	w.t.Helper()
	f := w.next()
	var m map[string]any
	if f.Header.OpCode != ws.OpText || json.Unmarshal(f.Payload, &m) != nil || m["op"] != op || m["ErrorCode"] != float64(0) {
		w.t.Fatalf("want a successful %s reply, got %v %s", op, f.Header.OpCode, f.Payload)
	}
}

// expectClose reads the server's close frame and then the end of the socket.
func (w *wireConn) expectClose(code ws.StatusCode) {
	w.t.Helper()
	f := w.next()
	if f.Header.OpCode != ws.OpClose {
		w.t.Fatalf("want a close frame, got %v %s", f.Header.OpCode, f.Payload)
	}
	if got, reason := ws.ParseCloseFrameData(f.Payload); got != code {
		w.t.Fatalf("close status %d %q, want %d", got, reason, code)
	}
}

func loginFrame(user string) ws.Frame {
	return masked(ws.OpText, true, fmt.Sprintf(`{"id":1,"op":"login","SDKAppID":%d,"UserID":%q,"UserSig":"good"}`, testApp, user))
}

func TestFraming(t *testing.T) {
	h := newHarness(t, Config{})

	t.Run("login sent with the upgrade request", func(t *testing.T) {
		w := h.dialWire(loginFrame("early"), masked(ws.OpText, true, `{"id":2,"op":"heartbeat"}`))
		w.expectReply("login")
		w.expectReply("heartbeat")
	})

	t.Run("fragments with a ping between them", func(t *testing.T) {
		w := h.dialWire(loginFrame("frag"))
		w.expectReply("login")
		w.write(masked(ws.OpText, false, `{"id":2,"op":`), masked(ws.OpPing, true, "are you there"),
			masked(ws.OpContinuation, false, `"heart`), masked(ws.OpContinuation, true, `beat"}`))
		if f := w.next(); f.Header.OpCode != ws.OpPong || string(f.Payload) != "are you there" {
			t.Fatalf("want the pong first, got %v %q", f.Header.OpCode, f.Payload)
		}
		w.expectReply("heartbeat")
	})

	t.Run("a frame split across writes", func(t *testing.T) {
		w := h.dialWire(loginFrame("slow"))
		w.expectReply("login")
		b, _ := ws.CompileFrame(masked(ws.OpText, true, `{"id":2,"op":"heartbeat"}`))
		for _, part := range [][]byte{b[:1], b[1:5], b[5:]} {
			if _, err := w.nc.Write(part); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		w.expectReply("heartbeat")
	})

	protocolErrors := []struct {
		name  string
		frame ws.Frame
	}{
		{"unmasked frame", ws.NewTextFrame([]byte(`{"id":2,"op":"heartbeat"}`))},
		{"continuation without a message", masked(ws.OpContinuation, true, "x")},
		{"fragmented control frame", masked(ws.OpPing, false, "x")},
		{"RSV1 without compression negotiated", func() ws.Frame {
			f := masked(ws.OpText, true, "{}")
			f.Header.Rsv = 4
			return f
		}()},
	}
	for _, tt := range protocolErrors {
		t.Run(tt.name, func(t *testing.T) {
			w := h.dialWire(loginFrame("rude"))
			w.expectReply("login")
			w.write(tt.frame)
			w.expectClose(ws.StatusProtocolError)
		})
	}

	t.Run("client close is answered and ends the socket", func(t *testing.T) {
		w := h.dialWire(loginFrame("bye"))
		w.expectReply("login")
		w.write(masked(ws.OpClose, true, string(ws.NewCloseFrameBody(ws.StatusGoingAway, "tab closed"))))
		w.expectClose(ws.StatusGoingAway)
		if _, err := w.br.ReadByte(); err == nil {
			t.Fatal("the socket stayed open after the close handshake")
		}
		waitFor(t, "the user to go offline", func() bool { return h.gw.Platforms(testApp, "bye") == nil })
	})
}

// FuzzReadMessage feeds arbitrary bytes to the frame parser, on a
// connection without compression and on one with it: it must return
// messages or errors, never panic or allocate what a header claims (or a
// compressed message inflates to) beyond MaxFrameBytes; what it returns
// goes on through request decoding and close-frame checking, which must
// not panic either.
func FuzzReadMessage(f *testing.F) {
	for _, fr := range []ws.Frame{
		loginFrame("fuzz"),
		masked(ws.OpText, false, `{"id":2,`),
		masked(ws.OpPing, true, "p"),
		masked(ws.OpClose, true, string(ws.NewCloseFrameBody(ws.StatusNormalClosure, ""))),
		masked(ws.OpClose, true, "\x03"),
		masked(ws.OpText, true, `null`),
		masked(ws.OpText, true, `{"id":"x","op":"heartbeat","SDKAppID":true}`),
		compressedFrame(ws.OpText, true, deflateRaw(f, `{"id":2,"op":"heartbeat"}`, false)),
		compressedFrame(ws.OpText, true, deflateRaw(f, strings.Repeat("{}", 1<<10), true)),
	} {
		b, err := ws.CompileFrame(fr)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, deflate := range []bool{false, true} {
			readMessages(t, data, deflate)
		}
	})
}

// readMessages parses data as what one connection sent, and checks what
// comes out.
func readMessages(t *testing.T, data []byte, deflate bool) {
	g := New(Config{MaxFrameBytes: 1 << 10}, Deps{})
	local, remote := net.Pipe()
	_ = remote.Close() // reads past data end with EOF
	c := &conn{g: g, nc: local, deflate: deflate}
	s := &socketReader{c: c, buf: data, w: len(data), pooled: make([]byte, 64)}
	for range 64 {
		op, msg, err := c.readMessage(s)
		if err != nil {
			return
		}
		if op.IsData() && int64(len(msg)) > g.cfg.MaxFrameBytes {
			t.Fatalf("a %d-byte message passed the %d-byte limit", len(msg), g.cfg.MaxFrameBytes)
		}
		switch {
		case op == ws.OpClose:
			if reply := closeReply(msg); len(reply) == 1 || len(reply) > 125 {
				t.Fatalf("close reply of %d bytes", len(reply))
			}
		case op.IsData():
			if req, ok := decodeRequest(op, msg); ok && op != ws.OpText {
				t.Fatalf("a %v message decoded as request %+v", op, req)
			}
		}
	}
}
