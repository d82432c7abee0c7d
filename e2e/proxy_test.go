package e2e

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// tcpProxy relays TCP connections to a target (PostgreSQL) and lets a
// test break the path the two ways networks fail: stop (connections
// closed, new ones hung up on: the server is gone) and freeze (bytes stop moving and
// nothing answers: a partition or a hung server). resume restores the
// path; frozen connections then carry on where they stopped.
type tcpProxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	gate    *sync.Cond // broadcast when mode changes
	mode    proxyMode
	conns   map[net.Conn]bool
	stopped bool // the test ended
}

type proxyMode int

const (
	proxyForward proxyMode = iota
	proxyStopped
	proxyFrozen
)

// startProxy listens on a free port and relays to target (host:port). It
// closes everything when the test ends.
func startProxy(t testing.TB, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.gate = sync.NewCond(&p.mu)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		p.stopped = true
		p.closeAll()
		p.gate.Broadcast()
		p.mu.Unlock()
	})
	return p
}

// Addr is the host:port to dial instead of the target.
func (p *tcpProxy) Addr() string { return p.ln.Addr().String() }

// stop closes every relayed connection and hangs up on new ones until
// resume.
func (p *tcpProxy) stop() { p.setMode(proxyStopped) }

// freeze stops moving bytes both ways, and holds new connections
// unanswered, until resume.
func (p *tcpProxy) freeze() { p.setMode(proxyFrozen) }

// resume relays again.
func (p *tcpProxy) resume() { p.setMode(proxyForward) }

func (p *tcpProxy) setMode(m proxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	if m == proxyStopped {
		p.closeAll()
	}
	p.gate.Broadcast()
}

// closeAll closes every relayed connection. p.mu must be held.
func (p *tcpProxy) closeAll() {
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// track registers c, or closes it and reports false when the proxy is
// stopped. p.mu must be held.
func (p *tcpProxy) track(c net.Conn) bool {
	if p.stopped || p.mode == proxyStopped {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

// waitOpen blocks while the proxy is frozen and reports whether bytes may
// move (false once stopped). p.mu must not be held.
func (p *tcpProxy) waitOpen() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.mode == proxyFrozen && !p.stopped {
		p.gate.Wait()
	}
	return p.mode == proxyForward && !p.stopped
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // listener closed
		}
		go p.relay(c)
	}
}

func (p *tcpProxy) relay(c net.Conn) {
	p.mu.Lock()
	ok := p.track(c)
	p.mu.Unlock()
	// A frozen proxy accepts (the kernel would anyway) but the target
	// never hears of the connection until resume.
	if !ok || !p.waitOpen() {
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	ok = p.track(up)
	p.mu.Unlock()
	if !ok {
		c.Close()
		return
	}
	go p.pipe(up, c)
	p.pipe(c, up) // returns once either side is closed, and closes both
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// pipe copies src to dst, holding each chunk while the proxy is frozen.
func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.waitOpen() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// proxiedDSN returns dsn (a postgres:// URL) with its host replaced by the
// proxy's address.
func proxiedDSN(t testing.TB, dsn string, p *tcpProxy) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Skipf("the fault tests need a postgres:// URL with a host, not %q", dsn)
	}
	u.Host = p.Addr()
	return u.String()
}

// pgTarget is the host:port of the PostgreSQL server behind dsn.
func pgTarget(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Skipf("the fault tests need a postgres:// URL with a host, not %q", dsn)
	}
	if u.Port() == "" {
		return u.Host + ":5432"
	}
	return u.Host
}
