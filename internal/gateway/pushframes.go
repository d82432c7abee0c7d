package gateway

import (
	"sync"
	"sync/atomic"

	"github.com/gobwas/ws"
)

// pushFrames is one push (or several joined for one write) made a
// WebSocket frame for each kind of connection, once for every connection
// that receives it: full for protocol 1, compact for protocol 2 (full
// itself when the push has nothing to leave out), and each compressed for
// the connections that negotiated permessage-deflate (deflate.go).
type pushFrames struct {
	full, compact *[]byte
	deflated      *deflatedFrames
}

// deflatedFrames are a push's compressed frames. Each is made when a
// connection first takes it, by whichever goroutine delivers it, so a
// push that reaches no compressing connection is never compressed, and
// one that does is compressed once however many receive it.
type deflatedFrames struct {
	mu            sync.Mutex // held while making a frame
	full, compact atomic.Pointer[[]byte]
	// parts, for joined pushes, are the pushes joined: their compressed
	// frames are concatenated, a compressed message being a whole frame.
	parts []pushFrames
}

// framePush makes payload, a push as encodePush built it, a frame for
// each protocol, once for every connection that receives it.
func framePush(payload []byte) pushFrames {
	f := frameForAll(payload)
	if small := compactPush(payload); len(small) < len(payload) {
		frame := encodeFrame(ws.OpText, small)
		f.compact = &frame
	}
	return f
}

// frameForAll makes payload a frame that every protocol takes as it is
// (a push that has nothing to compact, a notice), once for every
// connection that receives it.
func frameForAll(payload []byte) pushFrames {
	full := encodeFrame(ws.OpText, payload)
	return pushFrames{full: &full, compact: &full, deflated: &deflatedFrames{}}
}

// forConn is the frame c takes: by its protocol, compressed if it
// negotiated compression.
func (f pushFrames) forConn(c *conn) *[]byte {
	switch {
	case c.deflate:
		return f.deflatedFor(c.compact)
	case c.compact:
		return f.compact
	}
	return f.full
}

// deflatedFor is the compressed frame of a protocol (compact or full),
// made by the first caller; the plain frame itself when compression does
// not pay (deflateText).
func (f pushFrames) deflatedFor(compact bool) *[]byte {
	plain, made := f.full, &f.deflated.full
	if compact && f.compact != f.full {
		plain, made = f.compact, &f.deflated.compact
	}
	if frame := made.Load(); frame != nil {
		return frame
	}
	d := f.deflated
	d.mu.Lock()
	defer d.mu.Unlock()
	if frame := made.Load(); frame != nil {
		return frame
	}
	frame := plain
	switch {
	case d.parts != nil:
		var joined []byte
		for _, p := range d.parts {
			joined = append(joined, *p.deflatedFor(compact)...)
		}
		frame = &joined
	default:
		if compressed, ok := deflateText(framePayload(*plain)); ok {
			frame = &compressed
		}
	}
	made.Store(frame)
	return frame
}

// joinFrames joins the frames of batch, size bytes in protocol 1, for one
// write of several pushes.
func joinFrames(batch []outFrame, size int) pushFrames {
	parts := make([]pushFrames, len(batch))
	full := make([]byte, 0, size)
	same := true
	for i, b := range batch {
		parts[i] = b.frames
		full = append(full, *b.frames.full...)
		same = same && b.frames.compact == b.frames.full
	}
	f := pushFrames{full: &full, compact: &full, deflated: &deflatedFrames{parts: parts}}
	if same {
		return f
	}
	compact := make([]byte, 0, size)
	for _, b := range batch {
		compact = append(compact, *b.frames.compact...)
	}
	f.compact = &compact
	return f
}
