package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"runtime/debug"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/wsdeflate"
)

// The read side. The poller calls readable on a reader goroutine when
// bytes arrive; it reads what the socket holds, handles every complete
// message in order, and returns. Requests of one connection are therefore
// answered in order, and a connection between frames costs no goroutine
// and no buffer.

// frameTimeout bounds how long the rest of a frame may take once its first
// bytes arrived, so a peer trickling bytes cannot pin a reader goroutine.
const frameTimeout = 10 * time.Second

// readBufferSize is the pooled buffer one read event uses; client requests
// are far smaller, larger frames take several reads.
const readBufferSize = 4 << 10

var readBuffers = sync.Pool{New: func() any { b := make([]byte, readBufferSize); return &b }}

// errProtocol: the peer broke RFC 6455 (unmasked frame, reserved bits,
// fragmented control frame, ...); it is closed with 1002.
var errProtocol = errors.New("websocket protocol violation")

// errTooBig: a message exceeded MaxFrameBytes, as it came or inflated;
// closed with 1009.
var errTooBig = wsdeflate.ErrTooBig

// Close codes of the read side beside those of protocol.go.
const (
	// 1007: text that is not UTF-8, a compressed message that does not
	// inflate (its data does not match its type, as RFC 6455 §7.4.1 puts it)
	closeBadData  = ws.StatusInvalidFramePayloadData
	closeInternal = ws.StatusInternalServerError // 1011: a failure of ours before login
)

// socketReader serves one read event: bytes already read first, then the
// socket. Only the first read of an event may find nothing yet (it does not
// happen: the poller saw bytes); later ones wait at most frameTimeout.
type socketReader struct {
	c        *conn
	buf      []byte // unread bytes are buf[r:w]
	r, w     int
	pooled   []byte // where the socket is read into
	deadline bool   // a read deadline is set on the socket
}

func (s *socketReader) Read(p []byte) (int, error) {
	if s.r == s.w {
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.buf[s.r:s.w])
	s.r += n
	return n, nil
}

func (s *socketReader) fill() error {
	if s.w > 0 && !s.deadline { // mid-message: the rest must come soon
		if err := s.c.nc.SetReadDeadline(time.Now().Add(frameTimeout)); err != nil {
			return err
		}
		s.deadline = true
	}
	n, err := s.c.nc.Read(s.pooled)
	s.buf, s.r, s.w = s.pooled, 0, n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// buffered reports unread bytes: more messages to handle in this event.
func (s *socketReader) buffered() bool { return s.r < s.w }

// readable handles the bytes that arrived. It reports whether the
// connection wants the next event; false once the socket is done.
func (c *conn) readable() bool {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	bp := readBuffers.Get().(*[]byte)
	defer readBuffers.Put(bp)
	s := &socketReader{c: c, pooled: *bp}
	if c.pending != nil {
		s.buf, s.w = c.pending, len(c.pending)
		c.pending = nil
	}
	for {
		op, msg, err := c.readMessage(s)
		switch {
		case errors.Is(err, errProtocol):
			c.closeWith(closeProtocol, err.Error(), nil)
			return !c.isCut()
		case errors.Is(err, errTooBig):
			c.closeWith(closeTooBig, err.Error(), nil)
			return !c.isCut()
		case errors.Is(err, errBadDeflate):
			c.closeWith(closeBadData, err.Error(), nil)
			return !c.isCut()
		case err == nil && op == ws.OpText && !utf8.Valid(msg):
			// RFC 6455 §8.1: text must be UTF-8, or the connection fails.
			c.closeWith(closeBadData, "text message is not UTF-8", nil)
			return !c.isCut()
		case err != nil: // EOF, reset, or a frame that never completed
			c.cut()
			return false
		}
		switch op {
		case ws.OpClose:
			c.peerClosed(msg)
			return !c.isCut()
		case ws.OpPing:
			c.enqueuePong(msg)
		case ws.OpPong:
		default:
			c.received(op, msg)
		}
		if !s.buffered() {
			break
		}
	}
	if s.deadline {
		if err := c.nc.SetReadDeadline(time.Time{}); err != nil {
			c.cut()
			return false
		}
	}
	return true
}

// readMessage reads one message: a control frame, or a data message made
// of one frame or several. Control frames may come between the fragments of
// a data message (RFC 6455 §5.4); they are returned at once, and the
// fragments read so far wait in the connection.
func (c *conn) readMessage(s *socketReader) (ws.OpCode, []byte, error) {
	var hdr [ws.MaxHeaderSize - 2]byte
	for {
		h, err := ws.ReadHeaderBuffer(s, hdr[:])
		if errors.Is(err, ws.ErrHeaderLengthMSB) || errors.Is(err, ws.ErrHeaderLengthUnexpected) {
			return 0, nil, errProtocol // a 64-bit length with its top bit set
		}
		if err != nil {
			return 0, nil, err
		}
		// RSV1 marks the first frame of a compressed message, on a
		// connection that negotiated compression; any other RSV bit is a
		// violation.
		compressed := c.deflate && h.Rsv == rsvCompressed && (h.OpCode == ws.OpText || h.OpCode == ws.OpBinary)
		if h.Rsv != 0 && !compressed || !h.Masked || h.OpCode.IsReserved() {
			return 0, nil, errProtocol
		}
		if h.OpCode.IsControl() {
			if !h.Fin || h.Length > 125 {
				return 0, nil, errProtocol
			}
			payload, err := readPayload(s, h)
			return h.OpCode, payload, err
		}
		switch {
		case h.OpCode == ws.OpContinuation && c.partialOp == 0, // nothing to continue
			h.OpCode != ws.OpContinuation && c.partialOp != 0: // new message inside one
			return 0, nil, errProtocol
		case int64(len(c.partial))+h.Length > c.g.cfg.MaxFrameBytes:
			return 0, nil, errTooBig
		}
		part, err := readPayload(s, h)
		if err != nil {
			return 0, nil, err
		}
		if h.Fin && c.partialOp == 0 {
			return c.whole(h.OpCode, part, compressed) // the usual case: one frame
		}
		if c.partialOp == 0 {
			c.partialOp, c.partialCompressed = h.OpCode, compressed
		}
		c.partial = append(c.partial, part...)
		if h.Fin {
			op, msg, compressed := c.partialOp, c.partial, c.partialCompressed
			c.partialOp, c.partial, c.partialCompressed = 0, nil, false
			return c.whole(op, msg, compressed)
		}
	}
}

// whole is a complete data message, inflated when it came compressed: the
// size limit then holds for the inflated message too.
func (c *conn) whole(op ws.OpCode, msg []byte, compressed bool) (ws.OpCode, []byte, error) {
	if !compressed {
		return op, msg, nil
	}
	msg, err := wsdeflate.Inflate(msg, c.g.cfg.MaxFrameBytes)
	return op, msg, err
}

func readPayload(s *socketReader, h ws.Header) ([]byte, error) {
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(s, p); err != nil {
		return nil, err
	}
	ws.Cipher(p, h.Mask, 0)
	return p, nil
}

// received handles one data message from the peer.
func (c *conn) received(op ws.OpCode, msg []byte) {
	if c.isClosing() {
		return // a close is under way: nothing more is answered
	}
	if c.loggedIn.Load() {
		c.timer.Reset(c.g.cfg.IdleTimeout) // any message proves liveness
	}
	defer c.recoverRequest(msg)
	c.g.handle(c, op, msg)
}

// recoverRequest turns a panic while handling msg into the internal-error
// reply of the request's area and one log line with the stack, so a slip
// in one request reaches its client as an answer, not as a lost socket.
// Before login, the reply is followed by a close with 1011.
func (c *conn) recoverRequest(msg []byte) {
	v := recover()
	if v == nil {
		return
	}
	c.g.log.Error("gateway request panicked", "conn", c.id, "panic", v, "stack", string(debug.Stack()))
	req, _ := decodeRequest(ws.OpText, msg)
	code := im.CodeAccountInternal
	if req.Op == opJoinGroup || req.Op == opQuitGroup {
		code = im.CodeGroupInternal
	}
	e := &im.Error{Code: code, Info: "internal error, retry later"}
	if c.loggedIn.Load() {
		c.reply(req, e)
		return
	}
	c.closeWith(closeInternal, "internal error", encodeReply(req, e))
}

// decodeRequest parses a data message. A message that is not a JSON object
// of the protocol (binary, "null", a field of the wrong type) reports
// false, with what could be read of its id and op, so that the refusal
// still names the request it answers.
func decodeRequest(op ws.OpCode, data []byte) (request, bool) {
	var req request
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if op != ws.OpText || len(trimmed) == 0 || trimmed[0] != '{' {
		return req, false
	}
	if json.Unmarshal(data, &req) == nil {
		return req, true
	}
	var head struct {
		ID json.RawMessage `json:"id"`
		Op json.RawMessage `json:"op"`
	}
	req = request{}
	if json.Unmarshal(data, &head) == nil {
		_ = json.Unmarshal(head.ID, &req.ID)
		_ = json.Unmarshal(head.Op, &req.Op)
	}
	return req, false
}

// peerClosed answers the peer's close frame, or ends the socket when the
// frame answers ours.
func (c *conn) peerClosed(payload []byte) {
	c.wmu.Lock()
	ours := c.closeSent
	c.wmu.Unlock()
	if ours {
		c.cut()
		return
	}
	c.answerClose(payload)
}

func (c *conn) enqueuePong(payload []byte) {
	frame := encodeFrame(ws.OpPong, payload)
	c.enqueue(&frame)
}

// isCut reports whether the socket is gone, so the poller stops watching.
func (c *conn) isCut() bool { return c.gone.Load() }
