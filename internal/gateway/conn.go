package gateway

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// conn is one WebSocket connection. An idle connection owns no goroutine:
// the poller watches its socket and hands it to a reader goroutine when a
// frame arrives (see read.go), and a writer goroutine exists only while
// the socket's kernel buffer is full (see write.go). What stays in memory per
// idle connection is this struct, the socket and its timer, which is what
// lets one node hold tens of thousands of users.
type conn struct {
	g      *Gateway
	id     uint64 // never 0 (presence uses 0 as "none")
	nc     net.Conn
	raw    syscall.RawConn // nc's descriptor, held open while the poller arms it
	fd     int             // nc's descriptor, for direct writes (see writeNow)
	remote string
	since  time.Time
	// deflate: permessage-deflate was negotiated at the upgrade (see
	// deflate.go). Set before the connection is shared, never changed.
	deflate bool

	// The read side, used by one reader at a time. The poller's one-shot
	// events already serialise readers; rmu is what lets the race detector
	// see it, as it cannot see through the kernel.
	rmu sync.Mutex
	// pending holds bytes the client sent right behind its upgrade request,
	// read by the HTTP server before the socket was handed over; the first
	// read consumes them.
	pending []byte
	// partialOp and partial: a fragmented data message being received;
	// partialCompressed: its first frame said it is compressed.
	partialOp         ws.OpCode
	partial           []byte
	partialCompressed bool

	// wmu guards the write side: the queue, and whether a writer goroutine
	// currently owns the socket.
	wmu     sync.Mutex
	queue   []*[]byte // encoded frames not yet written; shared, never modified
	offset  int       // bytes of queue[0] already written
	writing bool      // a writer goroutine owns the socket's write side
	corked  int       // cork calls not yet uncorked
	held    []*[]byte // frames a cork holds back, in order
	// holdLimit writes the held frames maxHold after the first was held,
	// whether or not the request that corked has ended.
	holdLimit *time.Timer
	// closing: no more frames are accepted; set by the first close.
	closing bool
	// closeSent: our close frame is queued; the peer's close ends the socket.
	closeSent bool
	// cutAfterFlush: cut the socket once the queue is written (our reply to
	// the peer's close).
	cutAfterFlush bool

	closeOnce sync.Once
	cutOnce   sync.Once
	gone      atomic.Bool // cut: the socket is closed
	loggedIn  atomic.Bool
	timer     *time.Timer                // login timeout, then idle timeout
	backstop  atomic.Pointer[time.Timer] // cuts a close handshake that got stuck

	// Guarded by g.mu. app, user and platform are set once at login.
	app      uint64
	user     string
	platform string
	compact  bool                // protocol 2: pushes as compactPush makes them
	rooms    map[string]struct{} // live rooms this connection is in
	// groups are the stored groups whose pushes this connection receives;
	// followsGroups is set by its first sync, which attaches it to all of
	// its user's groups (see groups.go).
	groups        map[string]struct{}
	followsGroups bool
	detached      bool // removed from users/rooms/groups: receives nothing more
	// ended says why a logged-in connection ends, when it is not simply
	// closed: a logout, a kick, an eviction (0: closed or broken).
	ended   StateChange
	evicted bool // closed by a newer login of its user: no callback of its own
}

// newConn wraps a socket that has a descriptor (a TCP or Unix socket);
// deflate tells whether its upgrade negotiated compression.
func (g *Gateway) newConn(nc net.Conn, remote string, deflate bool) (*conn, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("gateway: %T has no descriptor", nc)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	// A hijacked connection keeps the deadlines net/http set for the
	// upgrade request (ReadTimeout, WriteTimeout): left there they would
	// end every socket a fixed time after it opened. This connection's
	// timers and frame deadline take over.
	if err := nc.SetDeadline(time.Time{}); err != nil {
		return nil, err
	}
	c := &conn{g: g, nc: nc, raw: raw, remote: remote, since: g.deps.Now(), deflate: deflate}
	if err := raw.Control(func(fd uintptr) { c.fd = int(fd) }); err != nil {
		return nil, err
	}
	c.id = g.nextConn.Add(1)
	return c, nil
}

// isClosing reports whether the connection has begun to close: frames
// arriving from then on are ignored.
func (c *conn) isClosing() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.closing
}

// closeWith closes the connection gracefully: frame (if any) and then a
// close frame with code and reason are written, and the socket ends when
// the peer answers the close, or after WriteTimeout. Only the first close
// of a connection counts.
func (c *conn) closeWith(code ws.StatusCode, reason string, frame []byte) {
	c.closeOnce.Do(func() {
		closeFrame := encodeFrame(ws.OpClose, ws.NewCloseFrameBody(code, reason))
		var wire []byte
		if frame != nil {
			wire = c.textFrame(frame)
		}
		c.wmu.Lock()
		if c.closing { // cut, or the peer's close arrived first
			c.wmu.Unlock()
			return
		}
		c.closing, c.closeSent = true, true
		if wire != nil {
			c.queueLocked(&wire)
		}
		c.queueLocked(&closeFrame)
		c.wmu.Unlock()
		// A peer that never answers the close, or never reads, is cut.
		c.backstop.Store(time.AfterFunc(c.g.cfg.WriteTimeout, c.cut))
	})
}

// answerClose replies to the peer's close frame and ends the socket once
// the reply is written (RFC 6455 §5.5.1): with the same status, or with
// the failure a malformed close frame earns (closeReply).
func (c *conn) answerClose(payload []byte) {
	c.closeOnce.Do(func() {
		reply := encodeFrame(ws.OpClose, closeReply(payload))
		c.wmu.Lock()
		c.closing = true
		c.queueLocked(&reply)
		if c.writing {
			c.cutAfterFlush = true
			c.wmu.Unlock()
			c.backstop.Store(time.AfterFunc(c.g.cfg.WriteTimeout, c.cut))
			return
		}
		c.wmu.Unlock()
		c.cut()
	})
}

// closeReply is the body of the answer to the peer's close frame: its own
// status echoed, none for none, and 1002 (a 1-byte payload, a status no
// endpoint may send) or 1007 (a reason that is not UTF-8) for a malformed
// one (RFC 6455 §5.5.1, §7.4).
func closeReply(payload []byte) []byte {
	switch len(payload) {
	case 0:
		return nil
	case 1:
		return ws.NewCloseFrameBody(closeProtocol, "close frame with a 1-byte payload")
	}
	code := ws.StatusCode(binary.BigEndian.Uint16(payload))
	switch {
	case !validCloseCode(code):
		return ws.NewCloseFrameBody(closeProtocol, fmt.Sprintf("invalid close status %d", code))
	case !utf8.Valid(payload[2:]):
		return ws.NewCloseFrameBody(closeBadData, "close reason is not UTF-8")
	}
	return ws.NewCloseFrameBody(code, "")
}

// validCloseCode reports whether a peer may send code: the statuses RFC
// 6455 and the IANA registry define for use in a close frame, and the
// ranges left to libraries (3000-3999) and applications (4000-4999).
func validCloseCode(code ws.StatusCode) bool {
	return 1000 <= code && code <= 1003 || 1007 <= code && code <= 1014 || 3000 <= code && code <= 4999
}

// cut ends the connection at once, without a close handshake, and removes
// every trace of it (rooms, presence, user). Safe to call any number of
// times from anywhere that holds neither g.mu nor a room lock.
func (c *conn) cut() {
	c.cutOnce.Do(func() {
		c.wmu.Lock()
		c.gone.Store(true) // under wmu: no direct write starts after this
		c.closing = true
		c.queue, c.held = nil, nil
		c.wmu.Unlock()
		c.g.poller.remove(c)
		_ = c.nc.Close()
		if c.timer != nil {
			c.timer.Stop()
		}
		if t := c.backstop.Load(); t != nil {
			t.Stop()
		}
		c.g.unregister(c)
		c.g.log.Debug("connection closed", "conn", c.id, "app", c.app, "user", c.user,
			"duration", c.g.deps.Now().Sub(c.since))
	})
}

// cutLater cuts from a context that may hold g.mu or a room lock (fan-out).
func (c *conn) cutLater() { go c.cut() }

// onTimeout fires when a connection did not log in in time, or when a
// logged-in one sent nothing for IdleTimeout.
func (c *conn) onTimeout() {
	if c.loggedIn.Load() {
		c.g.mu.Lock()
		c.ended = StateTimeout
		c.g.mu.Unlock()
		c.closeWith(closePolicy, "heartbeat timeout", nil)
		return
	}
	c.closeWith(closePolicy, "login timeout", nil)
}
