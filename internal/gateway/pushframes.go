package gateway

import "github.com/gobwas/ws"

// pushFrames is one push made a WebSocket frame for each protocol: compact
// is full itself when the push has nothing to leave out.
type pushFrames struct {
	full, compact *[]byte
}

// framePush makes payload, a push as encodePush built it, a frame for
// each protocol, once for every connection that receives it.
func framePush(payload []byte) pushFrames {
	full := encodeFrame(ws.OpText, payload)
	f := pushFrames{full: &full, compact: &full}
	if small := compactPush(payload); len(small) < len(payload) {
		frame := encodeFrame(ws.OpText, small)
		f.compact = &frame
	}
	return f
}

// forConn is the frame c's protocol takes.
func (f pushFrames) forConn(c *conn) *[]byte {
	if c.compact {
		return f.compact
	}
	return f.full
}

// joinFrames joins the frames of batch, size bytes in protocol 1, for one
// write of several pushes.
func joinFrames(batch []outFrame, size int) pushFrames {
	full := make([]byte, 0, size)
	same := true
	for _, b := range batch {
		full = append(full, *b.frames.full...)
		same = same && b.frames.compact == b.frames.full
	}
	if same {
		return pushFrames{full: &full, compact: &full}
	}
	compact := make([]byte, 0, size)
	for _, b := range batch {
		compact = append(compact, *b.frames.compact...)
	}
	return pushFrames{full: &full, compact: &compact}
}
