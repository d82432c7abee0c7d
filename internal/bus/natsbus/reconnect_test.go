package natsbus

import (
	"context"
	"errors"
	"github.com/chatd/chatd/internal/bus/bustest"
	"io"
	"net"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/chatd/chatd/internal/bus"
)

// proxy is a TCP relay to the test NATS server that a test can cut, to
// lose a node's connection the way a network fault does, without
// restarting a server other tests share.
type proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	conns  []net.Conn
	refuse bool
}

// startProxy relays to the test server and returns the URL to dial.
func startProxy(t *testing.T) (*proxy, string) {
	t.Helper()
	u, err := url.Parse(testURL())
	if err != nil || u.Host == "" {
		t.Skipf("%s=%q is not a single nats:// URL the proxy can relay to", envURL, testURL())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: u.Host}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // listener closed
		}
		p.mu.Lock()
		refuse := p.refuse
		p.mu.Unlock()
		if refuse {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go relay(c, up)
		go relay(up, c)
	}
}

func relay(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
}

// cut closes every relayed connection, as a network fault would.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// setRefuse makes the proxy hang up on new connections, keeping a node
// disconnected for as long as a test needs.
func (p *proxy) setRefuse(v bool) {
	p.mu.Lock()
	p.refuse = v
	p.mu.Unlock()
}

func waitStatus(t *testing.T, b *Bus, want nats.Status) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for b.nc.Status() != want {
		if time.Now().After(deadline) {
			t.Fatalf("connection status %v, want %v", b.nc.Status(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestReconnect cuts node b's connection and checks the documented
// behaviour: b's Publish buffers while it is down, its subscriptions
// resume once it is back, and nothing arrives twice.
func TestReconnect(t *testing.T) {
	p, viaProxy := startProxy(t)
	prefix := newPrefix()
	a := mustConnect(t, "", Options{Name: "node-a", Prefix: prefix})
	b := mustConnect(t, viaProxy, Options{Name: "node-b", Prefix: prefix, ReconnectWait: 10 * time.Millisecond})
	toB, toA := bus.UserSubject(1, "on b"), bus.UserSubject(1, "on a")
	onB, onA := bustest.NewRecorder(), bustest.NewRecorder()
	bustest.MustSubscribe(t, b, toB, onB.Handle)
	bustest.MustSubscribe(t, a, toA, onA.Handle)
	mustFlush(t, a)
	mustFlush(t, b)
	bustest.MustPublish(t, a, toB, "before")
	onB.WaitLast(t, "before")

	p.setRefuse(true)
	p.cut()
	waitStatus(t, b, nats.RECONNECTING)

	// Down: Publish succeeds into the reconnect buffer...
	bustest.MustPublish(t, b, toA, "buffered")
	// ...until the buffer is full, and then fails instead of blocking.
	chunk := make([]byte, 512<<10)
	var err error
	for range 32 {
		if err = b.Publish(context.Background(), bus.UserSubject(1, "nobody"), chunk); err != nil {
			break
		}
	}
	if !errors.Is(err, nats.ErrReconnectBufExceeded) {
		t.Fatalf("Publish with the reconnect buffer full = %v, want nats.ErrReconnectBufExceeded", err)
	}
	// Subscribe does not need the network either.
	late := bustest.NewRecorder()
	bustest.MustSubscribe(t, b, bus.GroupSubject(1, "joined while down"), late.Handle)

	p.setRefuse(false)
	waitStatus(t, b, nats.CONNECTED)
	mustFlush(t, b) // the resent SUBs are in place

	if got := onA.WaitLast(t, "buffered"); !slices.Equal(got, []string{"buffered"}) {
		t.Fatalf("node a received %q, want the buffered message once", got)
	}
	bustest.MustPublish(t, a, toB, "after")
	if got := onB.WaitLast(t, "after"); !slices.Equal(got, []string{"before", "after"}) {
		t.Fatalf("node b received %q across the reconnect", got)
	}
	bustest.MustPublish(t, a, bus.GroupSubject(1, "joined while down"), "hello")
	late.WaitLast(t, "hello")
}
