package gateway

import (
	"bytes"
	"compress/flate"
	"strings"
	"testing"

	"github.com/gobwas/ws"
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
		accepted    bool
	}{
		{"no offer", "", false},
		{"bare offer", "permessage-deflate", true},
		{"both without context takeover", offerBoth, true},
		{"a browser's offer", "permessage-deflate; client_max_window_bits", true},
		{"client window bits", "permessage-deflate; client_max_window_bits=10", true},
		{"server window of 32 KiB", "permessage-deflate; server_max_window_bits=15", true},
		{"server window under 32 KiB", "permessage-deflate; server_max_window_bits=10", false},
		{"a smaller window first, then a plain offer", "permessage-deflate; server_max_window_bits=9, permessage-deflate", true},
		{"unknown parameter", "permessage-deflate; dictionary=chat", false},
		{"window bits out of range", "permessage-deflate; client_max_window_bits=16", false},
		{"parameter twice", "permessage-deflate; server_no_context_takeover; server_no_context_takeover", false},
		{"another extension", "x-webkit-deflate-frame", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := h.dialWireOffering(tt.offer, loginFrame("negotiator"))
			want := ""
			if tt.accepted {
				want = deflateAccepted
			}
			if w.extensions != want {
				t.Fatalf("answer %q, want %q", w.extensions, want)
			}
			w.expectReply("login")
			w.write(compressedFrame(ws.OpText, true, deflateRaw(t, `{"id":2,"op":"heartbeat"}`, false)))
			if tt.accepted {
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
