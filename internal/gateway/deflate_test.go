package gateway

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
	"github.com/gobwas/ws"

	"github.com/chatd/chatd/client"
	"github.com/chatd/chatd/internal/bus"
	"github.com/chatd/chatd/internal/im"
)

// offerBoth is the offer of a client that wants what the server answers.
const offerBoth = "permessage-deflate; client_no_context_takeover; server_no_context_takeover"

// deflateAccepted is the server's answer to an offer it accepts.
const deflateAccepted = "permessage-deflate;server_no_context_takeover;client_no_context_takeover"

// deflateRaw is data compressed as RFC 7692 §7.2.1 sends it: a sync flush
// with its 00 00 ff ff tail removed; final ends the data with a final block
// instead, which the RFC allows too.
func deflateRaw(t testing.TB, data string, final bool) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if final {
		err = w.Close()
	} else {
		err = w.Flush()
	}
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// withRsv is f masked, with its RSV bits set to rsv.
func withRsv(f ws.Frame, rsv byte) ws.Frame {
	f.Header.Rsv = rsv
	return ws.MaskFrameInPlace(f)
}

// compressedFrame is a masked frame carrying payload as it is, marked
// compressed (RSV1).
func compressedFrame(op ws.OpCode, fin bool, payload []byte) ws.Frame {
	return withRsv(ws.NewFrame(op, fin, payload), rsvCompressed)
}

// TestDeflateNegotiation: which permessage-deflate offers the server
// accepts, what it answers, and that the answer holds: a compressed
// request is understood where compression was agreed and is a protocol
// violation (1002) elsewhere.
func TestDeflateNegotiation(t *testing.T) {
	h := newHarness(t, Config{})
	tests := []struct {
		name, offer string
		answer      string // "": declined
	}{
		{"no offer", "", ""},
		{"bare offer", "permessage-deflate", deflateAccepted},
		{"both without context takeover", offerBoth, deflateAccepted},
		{"a browser's offer", "permessage-deflate; client_max_window_bits", deflateAccepted},
		{"client window bits", "permessage-deflate; client_max_window_bits=10", deflateAccepted},
		{"server window of 32 KiB", "permessage-deflate; server_max_window_bits=15", deflateAccepted + ";server_max_window_bits=15"},
		{"server window under 32 KiB", "permessage-deflate; server_max_window_bits=10", ""},
		{"a smaller window first, then a plain offer", "permessage-deflate; server_max_window_bits=9, permessage-deflate", deflateAccepted},
		{"unknown parameter", "permessage-deflate; dictionary=chat", ""},
		{"window bits out of range", "permessage-deflate; client_max_window_bits=16", ""},
		{"parameter twice", "permessage-deflate; server_no_context_takeover; server_no_context_takeover", ""},
		{"another extension", "x-webkit-deflate-frame", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := h.dialWireOffering(tt.offer, loginFrame("negotiator"))
			if w.extensions != tt.answer {
				t.Fatalf("answer %q, want %q", w.extensions, tt.answer)
			}
			w.expectReply("login")
			w.write(compressedFrame(ws.OpText, true, deflateRaw(t, `{"id":2,"op":"heartbeat"}`, false)))
			if tt.answer != "" {
				w.expectReply("heartbeat")
			} else {
				w.expectClose(ws.StatusProtocolError)
			}
		})
	}
}

// TestDeflateRead: what a client that negotiated compression may send,
// and how the server fails what breaks RFC 7692.
func TestDeflateRead(t *testing.T) {
	const limit = 1 << 10
	h := newHarness(t, Config{MaxFrameBytes: limit})
	heartbeat := `{"id":2,"op":"heartbeat"}`
	long := `{"id":2,"op":"heartbeat","pad":"` + strings.Repeat("chat ", 150) + `"}` // over the threshold, under the limit
	tests := []struct {
		name   string
		frames func(t *testing.T) []ws.Frame
		want   ws.StatusCode // 0: the heartbeat is answered
	}{
		{"one compressed frame", func(t *testing.T) []ws.Frame {
			return []ws.Frame{compressedFrame(ws.OpText, true, deflateRaw(t, heartbeat, false))}
		}, 0},
		{"compressed, ending with a final block", func(t *testing.T) []ws.Frame {
			return []ws.Frame{compressedFrame(ws.OpText, true, deflateRaw(t, heartbeat, true))}
		}, 0},
		{"compressed in fragments", func(t *testing.T) []ws.Frame {
			data := deflateRaw(t, long, false)
			return []ws.Frame{compressedFrame(ws.OpText, false, data[:10]),
				ws.MaskFrameInPlace(ws.NewFrame(ws.OpContinuation, true, data[10:]))}
		}, 0},
		{"plain on a compressing connection", func(t *testing.T) []ws.Frame {
			return []ws.Frame{masked(ws.OpText, true, heartbeat)}
		}, 0},
		{"data that does not inflate", func(t *testing.T) []ws.Frame {
			return []ws.Frame{compressedFrame(ws.OpText, true, []byte("\xff\xff\xff\xff not deflate"))}
		}, ws.StatusInvalidFramePayloadData},
		{"data cut short", func(t *testing.T) []ws.Frame {
			data := deflateRaw(t, long, false)
			return []ws.Frame{compressedFrame(ws.OpText, true, data[:len(data)/2])}
		}, ws.StatusInvalidFramePayloadData},
		{"inflates to text that is not UTF-8", func(t *testing.T) []ws.Frame {
			return []ws.Frame{compressedFrame(ws.OpText, true, deflateRaw(t, "{\"op\":\"heart\xffbeat\"}", false))}
		}, ws.StatusInvalidFramePayloadData},
		{"inflates beyond the size limit", func(t *testing.T) []ws.Frame {
			return []ws.Frame{compressedFrame(ws.OpText, true, deflateRaw(t, `{"pad":"`+strings.Repeat(" ", 2*limit)+`"}`, false))}
		}, ws.StatusMessageTooBig},
		{"compression bit on a continuation", func(t *testing.T) []ws.Frame {
			data := deflateRaw(t, long, false)
			return []ws.Frame{compressedFrame(ws.OpText, false, data[:10]), compressedFrame(ws.OpContinuation, true, data[10:])}
		}, ws.StatusProtocolError},
		{"compression bit on a ping", func(t *testing.T) []ws.Frame {
			return []ws.Frame{compressedFrame(ws.OpPing, true, deflateRaw(t, "p", false))}
		}, ws.StatusProtocolError},
		{"RSV2 on a compressing connection", func(t *testing.T) []ws.Frame {
			return []ws.Frame{withRsv(ws.NewTextFrame([]byte(heartbeat)), 0b010)}
		}, ws.StatusProtocolError},
		{"RSV1 and RSV3", func(t *testing.T) []ws.Frame {
			return []ws.Frame{withRsv(ws.NewTextFrame(deflateRaw(t, heartbeat, false)), 0b101)}
		}, ws.StatusProtocolError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := h.dialWireOffering(offerBoth, loginFrame("squeezer"))
			w.expectReply("login")
			w.write(tt.frames(t)...)
			if tt.want == 0 {
				w.expectReply("heartbeat")
				return
			}
			w.expectClose(tt.want)
		})
	}
}

// inflateRaw is the test's own inflater, independent of the server's.
func inflateRaw(t testing.TB, data []byte) []byte {
	t.Helper()
	r := flate.NewReader(io.MultiReader(bytes.NewReader(data), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff})))
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("inflate %x: %v", data, err)
	}
	return out
}

// nextPayload reads a data frame and returns its payload, inflated when it
// came compressed.
func (w *wireConn) nextPayload() (payload []byte, compressed bool) {
	w.t.Helper()
	f := w.next()
	if !f.Header.Rsv1() {
		return f.Payload, false
	}
	return inflateRaw(w.t, f.Payload), true
}

// splitFrames cuts a server's frames written back to back into their
// payloads, inflated where compressed.
func splitFrames(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	r := bytes.NewReader(b)
	for r.Len() > 0 {
		f, err := ws.ReadFrame(r)
		if err != nil {
			t.Fatal(err)
		}
		p := f.Payload
		if f.Header.Rsv1() {
			p = inflateRaw(t, p)
		}
		out = append(out, string(p))
	}
	return out
}

// Pushes of the tests below: over the compression threshold (one that
// protocol 2 shortens, one it cannot), and one under it.
var (
	longText  = strings.Repeat("It was the best of times, it was the worst of times. ", 6)
	longGroup = `{"op":"push","GroupId":"av-z","MsgSeq":9,"event":{"Type":"GroupMsg","GroupId":"av-z","MsgSeq":9,"MsgPriority":"Normal","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"` + longText + `"}}]}}`
	longC2C   = `{"op":"push","Seq":4,"event":{"Type":"C2CMsg","From_Account":"alice","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"` + longText + `"}}]}}`
	shortPush = `{"op":"push","GroupId":"g","event":{"GroupId":"g"}}`
)

// connKinds are the connections a push is framed for: each protocol, with
// compression and without.
var connKinds = []struct {
	name string
	c    *conn
}{
	{"protocol 1", &conn{}},
	{"protocol 2", &conn{compact: true}},
	{"protocol 1, compressed", &conn{deflate: true}},
	{"protocol 2, compressed", &conn{compact: true, deflate: true}},
}

// TestPushFramesEncodeOnce: a push is compressed at most once per
// protocol, whichever goroutines deliver it, and every compressing
// connection of a protocol takes the same bytes: the plain frame of its
// protocol, compressed when that pays.
func TestPushFramesEncodeOnce(t *testing.T) {
	tests := []struct {
		name, payload string
		compressed    bool
	}{
		{"group message", longGroup, true},
		{"nothing for protocol 2 to leave out", longC2C, true},
		{"under the threshold", shortPush, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := framePush([]byte(tt.payload))
			for _, k := range connKinds {
				const deliverers = 8
				got := make([]*[]byte, deliverers)
				var wg sync.WaitGroup
				for i := range got {
					wg.Go(func() { got[i] = f.forConn(k.c) })
				}
				wg.Wait()
				for _, g := range got[1:] {
					if g != got[0] {
						t.Fatalf("%s: deliverers took different frames", k.name)
					}
				}
				plain := f.full
				if k.c.compact {
					plain = f.compact
				}
				frame := *got[0]
				switch {
				case !k.c.deflate || !tt.compressed:
					if got[0] != plain {
						t.Fatalf("%s: took %q, want the plain frame", k.name, frame)
					}
				case frame[0] != finBit|rsv1Bit|byte(ws.OpText):
					t.Fatalf("%s: first byte %#x, want a compressed text frame", k.name, frame[0])
				case !bytes.Equal(inflateRaw(t, framePayload(frame)), framePayload(*plain)):
					t.Fatalf("%s: inflates to %s, want %s", k.name, inflateRaw(t, framePayload(frame)), framePayload(*plain))
				case len(frame) >= len(*plain):
					t.Fatalf("%s: %d bytes compressed, %d plain", k.name, len(frame), len(*plain))
				}
			}
			if f.compact == f.full && f.forConn(connKinds[2].c) != f.forConn(connKinds[3].c) {
				t.Fatal("a push the same in both protocols was compressed twice")
			}
		})
	}
}

// TestJoinedPushFrames: pushes joined for one write reach each kind of
// connection as that connection's frames of each push, in order, the
// compressed ones being the very frames of the pushes.
func TestJoinedPushFrames(t *testing.T) {
	payloads := []string{longGroup, shortPush, longC2C}
	var batch []outFrame
	size := 0
	for _, p := range payloads {
		f := framePush([]byte(p))
		batch = append(batch, outFrame{frames: f})
		size += len(*f.full)
	}
	joined := joinFrames(batch, size)
	for _, k := range connKinds {
		var want []byte
		for _, b := range batch {
			want = append(want, *b.frames.forConn(k.c)...)
		}
		got := *joined.forConn(k.c)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: the joined frames are not the pushes' frames", k.name)
		}
		for i, p := range splitFrames(t, got) {
			plain := batch[i].frames.full
			if k.c.compact {
				plain = batch[i].frames.compact
			}
			if p != string(framePayload(*plain)) {
				t.Fatalf("%s: push %d is %s, want %s", k.name, i, p, framePayload(*plain))
			}
		}
	}
}

// TestDeflatedDelivery: over real sockets, a push to a live room reaches a
// compressing connection compressed and a plain one plain, each in its
// protocol; a WebSocket library that compresses reads it; a compressed
// request is answered with a compressed reply.
func TestDeflatedDelivery(t *testing.T) {
	b := bus.NewLocal()
	t.Cleanup(func() { _ = b.Close() })
	h := newHarnessWith(t, Config{}, b, func(*harness) map[string]Op {
		return map[string]Op{"echo": {Handle: func(_ context.Context, _ *Session, frame json.RawMessage) (any, error) {
			var req struct{ Text string }
			err := json.Unmarshal(frame, &req)
			return map[string]string{"Echo": req.Text}, err
		}}}
	})
	login2 := masked(ws.OpText, true, fmt.Sprintf(`{"id":1,"op":"login","SDKAppID":%d,"UserID":"zip","UserSig":"good","Protocol":2}`, testApp))
	join := masked(ws.OpText, true, `{"id":2,"op":"join_group","GroupId":"av-z"}`)
	zipped := h.dialWireOffering(offerBoth, login2, join)
	plain := h.dialWire(login2, join)
	for _, w := range []*wireConn{zipped, plain} {
		w.expectReply("login")
		w.expectReply("join_group")
	}
	library := h.rawWith(&websocket.DialOptions{CompressionMode: websocket.CompressionNoContextTakeover})
	library.login("lib")
	library.send(`{"id":2,"op":"join_group","GroupId":"av-z"}`)
	library.read()

	var event struct {
		Event json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal([]byte(longGroup), &event); err != nil {
		t.Fatal(err)
	}
	if err := h.gw.DeliverRoom(bg, testApp, "av-z", im.Push{MsgSeq: 9, Event: event.Event}); err != nil {
		t.Fatal(err)
	}
	compact := compactPush([]byte(longGroup))
	for _, tt := range []struct {
		name           string
		w              *wireConn
		wantCompressed bool
	}{{"compressing", zipped, true}, {"plain", plain, false}} {
		got, compressed := tt.w.nextPayload()
		if compressed != tt.wantCompressed || !bytes.Equal(got, compact) {
			t.Fatalf("%s connection: got %s (compressed %v), want %s (compressed %v)", tt.name, got, compressed, compact, tt.wantCompressed)
		}
	}
	if got := library.readRaw(); string(got) != longGroup {
		t.Fatalf("library: got %s, want %s", got, longGroup)
	}

	echo := fmt.Sprintf(`{"id":3,"op":"echo","Text":%q}`, longText)
	zipped.write(compressedFrame(ws.OpText, true, deflateRaw(t, echo, false)))
	reply, compressed := zipped.nextPayload()
	if !compressed || field(t, reply, "Echo") != longText {
		t.Fatalf("compressed echo: reply %s (compressed %v)", reply, compressed)
	}
	long := strings.Repeat(longText, 3) // over the library's own threshold of 512 bytes: it compresses
	library.send(fmt.Sprintf(`{"id":3,"op":"echo","Text":%q}`, long))
	if got := field(t, library.readRaw(), "Echo"); got != long {
		t.Fatalf("library's echo: %s", got)
	}
}

// TestGoClientCompression: the Go client negotiates compression unless
// told not to, and reads the pushes either way.
func TestGoClientCompression(t *testing.T) {
	h := newHarness(t, Config{})
	tests := []struct {
		name     string
		opts     []client.Option
		compress bool
	}{
		{"default", nil, true},
		{"without", []client.Option{client.WithoutCompression()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, room := "go-"+tt.name, "av-"+tt.name
			c := h.dial(user, tt.opts...)
			h.join(c, room)
			h.gw.mu.Lock()
			compress := h.gw.users[userKey{testApp, user}].conns[0].deflate
			h.gw.mu.Unlock()
			if compress != tt.compress {
				t.Fatalf("the server's connection compresses: %v, want %v", compress, tt.compress)
			}
			mustPush(t, h, room, fmt.Sprintf(`{"Type":"X","Text":%q}`, longText))
			if ev := nextEvent(t, c); field(t, ev.Data, "Text") != longText {
				t.Fatalf("event %s", ev.Data)
			}
		})
	}
}

// TestDeflateWhenCompressorsBusy: with every compressor in use, a frame
// goes plain instead of waiting or making another; once one is free,
// frames are compressed again.
func TestDeflateWhenCompressorsBusy(t *testing.T) {
	deflating.Add(maxDeflating)
	_, ok := deflateText([]byte(longGroup))
	deflating.Add(-maxDeflating)
	if ok {
		t.Fatal("compressed with every compressor busy")
	}
	if _, ok := deflateText([]byte(longGroup)); !ok {
		t.Fatal("not compressed with compressors free")
	}
	if n := deflating.Load(); n != 0 {
		t.Fatalf("%d compressions still counted", n)
	}
}
