package gateway

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/gobwas/ws"
)

// Upgrades before net/http. A WebSocket login spends most of its CPU on
// the upgrade: net/http reads the request into a Request with a header
// map, 4 KiB buffers and a goroutine's worth of state, all garbage once
// the socket is hijacked (docs/BENCHMARKS.md, "What a login costs").
// Listen serves the common upgrade from the socket itself: it reads the
// request head into a pooled buffer and lets gobwas/ws parse it there.
// Whatever else arrives — REST calls, an upgrade with headers too large
// for the buffer, anything while shutting down — goes to net/http with the
// bytes already read, so nothing changes for it.

// Listen splits ln. Connections whose first request is a GET of path are
// upgraded by the gateway; every other connection is handed, with the
// bytes read from it, to whoever serves the returned listener (net/http,
// whose handler must still route path to ServeHTTP for the requests this
// path leaves to it). Closing the returned listener closes ln.
func (g *Gateway) Listen(ln net.Listener, path string) net.Listener {
	l := &splitListener{Listener: ln, g: g, prefix: []byte("GET " + path), others: make(chan net.Conn), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

type splitListener struct {
	net.Listener // the real one: Addr, and Close ends acceptLoop
	g            *Gateway
	prefix       []byte // "GET /v4/ws": a request line that starts so is ours
	others       chan net.Conn
	done         chan struct{} // closed when ln no longer accepts
	err          error         // why, once done is closed
	stopOnce     sync.Once
}

// Accept returns the next connection that is not an upgrade of ours.
func (l *splitListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.others:
		return c, nil
	case <-l.done:
		return nil, l.err
	}
}

// Close closes the real listener; Accept then fails as it would.
func (l *splitListener) Close() error {
	err := l.Listener.Close()
	l.stop(net.ErrClosed)
	return err
}

func (l *splitListener) stop(err error) {
	l.stopOnce.Do(func() {
		l.err = err
		close(l.done)
	})
}

// acceptLoop accepts for both sides. A failure other than a closed
// listener (out of descriptors) is retried after a growing pause, as
// net/http does, so a burst of connections cannot stop the server.
func (l *splitListener) acceptLoop() {
	var pause time.Duration
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				l.stop(err)
				return
			}
			pause = min(max(2*pause, 5*time.Millisecond), time.Second)
			l.g.log.Warn("accept failed; retrying", "err", err, "pause", pause)
			time.Sleep(pause)
			continue
		}
		pause = 0
		go l.route(nc)
	}
}

// route reads the start of nc's first request and decides who serves it.
// The read is bounded by the login timeout, as an unauthenticated socket
// is; net/http bounds its own reads once it has the connection.
func (l *splitListener) route(nc net.Conn) {
	bp := readBuffers.Get().(*[]byte)
	defer readBuffers.Put(bp)
	buf := *bp
	if err := nc.SetReadDeadline(time.Now().Add(l.g.cfg.LoginTimeout)); err != nil {
		_ = nc.Close()
		return
	}
	n := 0
	for {
		m, err := nc.Read(buf[n:])
		n += m
		read := buf[:n]
		ours, decided := l.claims(read)
		if decided && !ours {
			l.handOver(nc, read)
			return
		}
		if end := bytes.Index(read, []byte("\r\n\r\n")); end >= 0 && ours {
			l.g.upgradeRaw(nc, read[:end+4], read[end+4:])
			return
		}
		if n == len(buf) { // a head larger than the buffer: net/http's limits apply
			l.handOver(nc, read)
			return
		}
		if err != nil { // the peer left, or said too little in time
			_ = nc.Close()
			return
		}
	}
}

// claims reports whether read, the start of a request, is a GET of the
// gateway's path; decided is false while too little has arrived to tell.
// Once shutting down, nothing is claimed: net/http answers with 503.
func (l *splitListener) claims(read []byte) (ours, decided bool) {
	if len(read) <= len(l.prefix) {
		return false, !bytes.HasPrefix(l.prefix, read)
	}
	if !bytes.HasPrefix(read, l.prefix) {
		return false, true
	}
	switch read[len(l.prefix)] {
	case ' ', '?':
		return !l.g.shuttingDown(), true
	}
	return false, true // a longer path: /v4/wsx
}

// handOver gives nc to net/http, which reads read before the socket.
func (l *splitListener) handOver(nc net.Conn, read []byte) {
	if err := nc.SetReadDeadline(time.Time{}); err != nil {
		_ = nc.Close()
		return
	}
	c := &replayConn{Conn: nc, early: bytes.Clone(read)}
	select {
	case l.others <- c:
	case <-l.done:
		_ = nc.Close()
	}
}

// upgradeRaw answers head, a complete upgrade request read from nc, and
// admits the socket; early is what the client sent after the request
// without waiting for the answer (its login, often).
func (g *Gateway) upgradeRaw(nc net.Conn, head, early []byte) {
	var deflate deflateNegotiation
	u := ws.Upgrader{Negotiate: deflate.negotiate}
	// The upgrader reads head alone, never the socket: whatever follows
	// the request stays in early for the connection's first read.
	if _, err := u.Upgrade(struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(head), nc}); err != nil {
		g.log.Debug("websocket upgrade failed", "err", err, "remote", nc.RemoteAddr().String())
		_ = nc.Close() // the refusal, if any, is written
		return
	}
	g.admit(nc, nc.RemoteAddr().String(), early, deflate.accepted)
}

// replayConn is a connection handed to net/http with the bytes already
// read from it, which its first reads return.
type replayConn struct {
	net.Conn
	early []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.early) > 0 {
		n := copy(p, c.early)
		c.early = c.early[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// ReadFrom keeps the socket's own (sendfile for archive downloads).
func (c *replayConn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.Conn, r) }

// SyscallConn is the socket's, for an upgrade that net/http hijacks.
func (c *replayConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}

// unwrapped is nc without a replayConn around it, and the bytes read from
// it that nobody has consumed yet.
func unwrapped(nc net.Conn) (net.Conn, []byte) {
	if rc, ok := nc.(*replayConn); ok {
		return rc.Conn, rc.early
	}
	return nc, nil
}
