package gateway

import (
	"encoding/binary"
	"net"
	"time"

	"github.com/gobwas/ws"
)

// The write side. A frame is written straight into the socket by whoever
// sends it, without blocking: a live room's fan-out writes the same encoded
// bytes into every member's socket from one goroutine, and allocates
// nothing per connection. Only when a socket's kernel buffer is full does
// the rest wait in the connection's queue, drained by a writer goroutine
// that exists until the queue is empty.

// encodeFrame is a complete unmasked server frame (header and payload in
// one slice), so that one write sends it and any number of connections
// can share it.
func encodeFrame(op ws.OpCode, payload []byte) []byte {
	return makeFrame(byte(op), payload)
}

// finBit starts every frame chatd sends: it never fragments.
const finBit = 0x80

// makeFrame is encodeFrame with the header's first byte given but for
// FIN: the opcode, and RSV1 for a compressed message.
func makeFrame(opAndRsv byte, payload []byte) []byte {
	n := len(payload)
	b := make([]byte, 0, ws.MaxHeaderSize+n)
	b = append(b, finBit|opAndRsv)
	switch {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xFFFF:
		b = append(b, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

// framePayload is the payload of a frame makeFrame made.
func framePayload(frame []byte) []byte {
	switch frame[1] {
	case 126:
		return frame[4:]
	case 127:
		return frame[10:]
	}
	return frame[2:]
}

// textFrame is payload as a text frame for this connection alone:
// compressed when the connection negotiated it and compression pays.
func (c *conn) textFrame(payload []byte) []byte {
	if c.deflate {
		if frame, ok := deflateText(payload); ok {
			return frame
		}
	}
	return encodeFrame(ws.OpText, payload)
}

// sendText queues one JSON text frame for this connection alone.
func (c *conn) sendText(payload []byte) {
	frame := c.textFrame(payload)
	c.enqueue(&frame)
}

// enqueue writes an encoded frame, or queues it behind frames still
// waiting, without ever blocking. A connection that has SendQueue frames
// waiting does not keep up; it is cut rather than allowed to stall the
// fan-out that called us, or to make the server buffer without bound.
func (c *conn) enqueue(frame *[]byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.closing {
		c.queueLocked(frame)
	}
}

func (c *conn) queueLocked(frame *[]byte) {
	if c.corked > 0 && !c.writing {
		if !c.closing && len(c.held) < maxHeld {
			if len(c.held) == 0 {
				c.holdLimit = time.AfterFunc(maxHold, c.releaseHeld)
			}
			c.held = append(c.held, frame)
			return
		}
		c.releaseLocked()
	}
	c.writeLocked(frame)
}

// maxHeld bounds the frames a corked connection holds: past it they are
// written, so an op that makes many (a sync) streams them as before.
const maxHeld = 16

// maxHold bounds how long a frame is held: what a request makes for its
// own connection comes within microseconds of its reply, while a request
// waiting on the store (a commit, or an outage until its timeout) must not
// hold back what others send meanwhile.
const maxHold = 2 * time.Millisecond

// cork holds the frames for c until uncork writes them as one: while one
// of c's own requests runs, what it makes for c (a sent message's push to
// the sender's stream, then the reply) costs one write instead of two.
// Frames from elsewhere are held too, for maxHold at most.
func (c *conn) cork() {
	c.wmu.Lock()
	c.corked++
	c.wmu.Unlock()
}

func (c *conn) uncork() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.corked--
	if c.corked == 0 {
		c.releaseLocked()
	}
}

// releaseHeld writes the held frames once they waited maxHold.
func (c *conn) releaseHeld() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.releaseLocked()
}

// releaseLocked writes the held frames, joined, ahead of anything later.
func (c *conn) releaseLocked() {
	if c.holdLimit != nil {
		c.holdLimit.Stop()
		c.holdLimit = nil
	}
	held := c.held
	c.held = nil
	switch len(held) {
	case 0:
	case 1:
		c.writeLocked(held[0])
	default:
		var n int
		for _, f := range held {
			n += len(*f)
		}
		joined := make([]byte, 0, n)
		for _, f := range held {
			joined = append(joined, *f...)
		}
		c.writeLocked(&joined)
	}
}

// writeLocked writes frame now, or queues it behind frames still waiting.
func (c *conn) writeLocked(frame *[]byte) {
	if c.writing {
		if len(c.queue) >= c.g.cfg.SendQueue {
			c.closing = true
			c.g.log.Warn("slow consumer disconnected", "conn", c.id, "remote", c.remote, "queue", c.g.cfg.SendQueue)
			c.cutLater()
			return
		}
		c.queue = append(c.queue, frame)
		return
	}
	if c.gone.Load() {
		return
	}
	n, err := writeNow(c.fd, *frame)
	if err != nil {
		c.closing = true
		c.cutLater()
		return
	}
	if n == len(*frame) {
		return
	}
	c.queue = append(c.queue, frame)
	c.offset = n
	c.writing = true
	go c.drain()
}

// drain is the writer goroutine: it writes the queue with blocking writes
// until it is empty, then ends. No deadline: a peer that stops reading
// fills its queue and is cut by overflow; a dead one stops sending
// heartbeats and is closed by its timer; either closes the socket, which
// ends the write.
func (c *conn) drain() {
	for {
		c.wmu.Lock()
		if len(c.queue) == 0 {
			c.writing = false
			c.queue = nil // an idle connection keeps no queue
			cutNow := c.cutAfterFlush
			c.wmu.Unlock()
			if cutNow {
				c.cut()
			}
			return
		}
		batch, off := c.queue, c.offset
		c.queue, c.offset = nil, 0
		c.wmu.Unlock()

		bufs := make(net.Buffers, len(batch))
		for i, f := range batch {
			bufs[i] = *f
		}
		bufs[0] = bufs[0][off:]
		if _, err := bufs.WriteTo(c.nc); err != nil { // writev
			c.cut()
			return
		}
	}
}
