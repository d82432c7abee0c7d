package gateway

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// conn is one WebSocket connection. Two goroutines serve it: the reader
// (the HTTP handler's own goroutine) parses and answers requests, the
// writer drains the send queue. Nothing else ever writes to the socket, so
// fan-out only has to put a frame on a queue and can never block on a slow
// peer.
type conn struct {
	g      *Gateway
	id     uint64 // never 0 (presence uses 0 as "none")
	ws     *websocket.Conn
	remote string
	since  time.Time

	// send holds frames to write. Frames are shared between connections
	// (one encoded group message reaches every socket) and must not be
	// modified once queued. Slots are pointers because a channel's buffer
	// is allocated in full up front: 8 bytes a slot instead of a 24-byte
	// slice header saves 4 KiB per connection at the default queue length,
	// 200 MB at 50,000 connections.
	send     chan *[]byte
	closeReq chan closeRequest // capacity 1; written once, under closeOnce

	closeOnce  sync.Once
	closing    atomic.Bool // no more frames are accepted or handled
	loggedIn   atomic.Bool
	timer      *time.Timer                // login timeout, then idle timeout; reader goroutine only
	backstop   atomic.Pointer[time.Timer] // cuts a close that got stuck
	readerDone chan struct{}
	writerDone chan struct{}

	// Guarded by g.mu. app, user and platform are set once at login.
	app      uint64
	user     string
	platform string
	rooms    map[string]struct{} // live rooms this connection is in
	detached bool                // removed from users/rooms: receives nothing more
}

// closeRequest asks the writer to send a last frame, then close.
type closeRequest struct {
	code   websocket.StatusCode
	reason string
	frame  []byte // optional: a reply or push explaining the close
}

func (g *Gateway) newConn(ws *websocket.Conn, remote string) *conn {
	return &conn{
		g:          g,
		id:         g.nextConn.Add(1),
		ws:         ws,
		remote:     remote,
		since:      g.deps.Now(),
		send:       make(chan *[]byte, g.cfg.SendQueue),
		closeReq:   make(chan closeRequest, 1),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
	}
}

// run serves the connection until the socket ends, then removes every
// trace of it (rooms, presence, user) before returning.
func (c *conn) run() {
	// Shutdown's deadline cuts sockets whose close handshake hangs.
	stop := context.AfterFunc(c.g.ctx, func() { _ = c.ws.CloseNow() })
	defer stop()
	c.timer = time.AfterFunc(c.g.cfg.LoginTimeout, c.onTimeout)
	go c.writeLoop()
	c.readLoop()
	c.timer.Stop()
	c.g.unregister(c)
	close(c.readerDone)
	<-c.writerDone
	_ = c.ws.CloseNow()
	c.g.log.Debug("connection closed", "conn", c.id, "app", c.app, "user", c.user,
		"duration", c.g.deps.Now().Sub(c.since))
}

// readLoop reads until the socket fails or closes. It keeps reading after a
// close was requested, because reading is what completes the close
// handshake; frames arriving then are ignored by handle.
func (c *conn) readLoop() {
	for {
		// A background context: a cancellable one would cost an allocation
		// per read inside the library, and timeouts are enforced by c.timer.
		typ, data, err := c.ws.Read(context.Background())
		if err != nil {
			return
		}
		if c.loggedIn.Load() {
			c.timer.Reset(c.g.cfg.IdleTimeout) // any frame proves liveness
		}
		c.g.handle(c, typ, data)
	}
}

func (c *conn) writeLoop() {
	defer close(c.writerDone)
	defer func() {
		if t := c.backstop.Load(); t != nil {
			t.Stop()
		}
	}()
	for {
		select {
		case frame := <-c.send:
			// No deadline here on purpose: a context with one allocates per
			// write, and fan-out must not allocate per connection. A peer
			// that stops reading fills its queue and is cut by overflow; a
			// dead one stops sending heartbeats and is closed by the timer.
			if err := c.ws.Write(context.Background(), websocket.MessageText, *frame); err != nil {
				c.closing.Store(true)
				_ = c.ws.CloseNow()
				return
			}
		case req := <-c.closeReq:
			if req.frame != nil {
				ctx, cancel := context.WithTimeout(context.Background(), c.g.cfg.WriteTimeout)
				_ = c.ws.Write(ctx, websocket.MessageText, req.frame)
				cancel()
			}
			_ = c.ws.Close(req.code, req.reason)
			return
		case <-c.readerDone:
			return
		}
	}
}

// enqueue queues a frame without ever blocking. A full queue means the peer
// does not keep up; it is disconnected rather than allowed to stall the
// fan-out that called us (or to make the server buffer without bound).
func (c *conn) enqueue(frame *[]byte) {
	if c.closing.Load() {
		return
	}
	select {
	case c.send <- frame:
	default:
		c.closeOnce.Do(func() {
			c.closing.Store(true)
			c.g.log.Warn("slow consumer disconnected", "conn", c.id, "remote", c.remote, "queue", cap(c.send))
			// Asynchronous: the caller may hold a room lock, and the writer
			// may be blocked in Write, which only closing the socket ends.
			go func() { _ = c.ws.CloseNow() }()
		})
	}
}

// closeWith closes the connection gracefully: the writer sends frame (if
// any), then a close frame with code and reason. Only the first close of a
// connection counts.
func (c *conn) closeWith(code websocket.StatusCode, reason string, frame []byte) {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		c.closeReq <- closeRequest{code: code, reason: reason, frame: frame}
		// If the writer is stuck in a Write to a peer that reads nothing,
		// it never sees the request; cutting the socket frees it.
		c.backstop.Store(time.AfterFunc(c.g.cfg.WriteTimeout, func() { _ = c.ws.CloseNow() }))
	})
}

// onTimeout fires when a connection did not log in in time, or when a
// logged-in one sent nothing for IdleTimeout.
func (c *conn) onTimeout() {
	if c.loggedIn.Load() {
		c.closeWith(closePolicy, "heartbeat timeout", nil)
		return
	}
	c.closeWith(closePolicy, "login timeout", nil)
}
