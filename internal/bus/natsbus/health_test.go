package natsbus

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/chatd/chatd/internal/bus"
	"github.com/chatd/chatd/internal/bus/bustest"
)

// hookCounter counts OnReconnect calls and lets a test wait for the next.
type hookCounter struct{ calls chan struct{} }

func newHookCounter(b *Bus) *hookCounter {
	h := &hookCounter{calls: make(chan struct{}, 100)}
	b.OnReconnect(func() { h.calls <- struct{}{} })
	return h
}

func (h *hookCounter) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case <-h.calls:
	case <-time.After(waitTimeout):
		t.Fatalf("OnReconnect hook not called %s", what)
	}
}

func (h *hookCounter) none(t *testing.T, what string) {
	t.Helper()
	select {
	case <-h.calls:
		t.Fatalf("OnReconnect hook called %s", what)
	default:
	}
}

// openBehind opens a Bus through the proxy without waiting for it to
// connect, and closes it when the test ends.
func openBehind(t *testing.T, url string, opts Options) *Bus {
	t.Helper()
	requireNATS(t)
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	opts.ReconnectWait = 10 * time.Millisecond
	b, err := Open(url, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// TestOpenWhileNATSIsDown is a node starting during a NATS outage: Open
// returns at once, the node can subscribe and publish, and once NATS is
// reachable the hooks run with the subscriptions in place and the
// buffered publishes are sent.
func TestOpenWhileNATSIsDown(t *testing.T) {
	p, viaProxy := startProxy(t)
	p.setRefuse(true)
	prefix := newPrefix()
	b := openBehind(t, viaProxy, Options{Name: "late node", Prefix: prefix})
	if b.Connected() {
		t.Fatal("Connected with NATS unreachable")
	}
	hooks := newHookCounter(b)
	a := mustConnect(t, "", Options{Name: "node-a", Prefix: prefix})
	toA, toB := bus.UserSubject(1, "on a"), bus.UserSubject(1, "on b")
	onA, onB := bustest.NewRecorder(), bustest.NewRecorder()
	bustest.MustSubscribe(t, a, toA, onA.Handle)
	mustFlush(t, a)
	bustest.MustSubscribe(t, b, toB, onB.Handle)
	bustest.MustPublish(t, b, toA, "sent while down")

	p.setRefuse(false)
	hooks.wait(t, "after the first connection")
	if !b.Connected() {
		t.Fatal("not Connected after the hook ran")
	}
	// The hook ran after the server had b's subscription: a message
	// published now by another node reaches it without a Flush of b.
	bustest.MustPublish(t, a, toB, "after the hook")
	if got := onB.WaitLast(t, "after the hook"); !slices.Equal(got, []string{"after the hook"}) {
		t.Fatalf("b received %q", got)
	}
	if got := onA.WaitLast(t, "sent while down"); !slices.Equal(got, []string{"sent while down"}) {
		t.Fatalf("a received %q, want b's buffered publish once", got)
	}
	hooks.none(t, "without a reconnect")
}

// TestOnReconnect checks that hooks run once per reconnect, not at
// registration while connected, and that a hook may use the bus.
func TestOnReconnect(t *testing.T) {
	p, viaProxy := startProxy(t)
	prefix := newPrefix()
	b := openBehind(t, viaProxy, Options{Prefix: prefix})
	waitStatus(t, b, nats.CONNECTED)
	hooks := newHookCounter(b)
	subj := bus.KickSubject(1, "resync")
	r := bustest.NewRecorder()
	bustest.MustSubscribe(t, b, subj, r.Handle)
	b.OnReconnect(func() { _ = b.Publish(context.Background(), subj, []byte("from the hook")) })
	hooks.none(t, "at registration while connected")

	for round := range 2 {
		p.cut()
		hooks.wait(t, "after a reconnect")
		if want := slices.Repeat([]string{"from the hook"}, round+1); !slices.Equal(r.WaitFor(t, "the hook's publish", func(got []string) bool {
			return len(got) == round+1
		}), want) {
			t.Fatalf("round %d: received %q", round, r.Snapshot())
		}
	}
	hooks.none(t, "more than once per reconnect")
}

// TestNoEcho checks that with NoEcho a node's own publishes reach the
// other nodes only.
func TestNoEcho(t *testing.T) {
	subj := bus.GroupSubject(1, "room")
	a, b, onA, onB := twoSubscribedNodes(t, subj, Options{NoEcho: true})
	bustest.MustPublish(t, a, subj, "from a")
	bustest.MustPublish(t, b, subj, "from b")
	if got := onB.WaitLast(t, "from a"); !slices.Equal(got, []string{"from a"}) {
		t.Fatalf("b received %q, want a's message only", got)
	}
	if got := onA.WaitLast(t, "from b"); !slices.Equal(got, []string{"from b"}) {
		t.Fatalf("a received %q, want b's message only", got)
	}
}

// TestCloseWaitsForNATS is a node stopped during a short NATS outage:
// Close waits (within its bound) for the connection to return, so what
// the node published while cut off still reaches the other nodes.
func TestCloseWaitsForNATS(t *testing.T) {
	p, viaProxy := startProxy(t)
	prefix := newPrefix()
	a := mustConnect(t, "", Options{Name: "node-a", Prefix: prefix})
	b := openBehind(t, viaProxy, Options{Name: "stopping node", Prefix: prefix})
	waitStatus(t, b, nats.CONNECTED)
	subj := bus.KickSubject(1, "u")
	r := bustest.NewRecorder()
	bustest.MustSubscribe(t, a, subj, r.Handle)
	mustFlush(t, a)

	p.setRefuse(true)
	p.cut()
	waitStatus(t, b, nats.RECONNECTING)
	bustest.MustPublish(t, b, subj, "last kick")
	closed := make(chan error, 1)
	go func() { closed <- b.Close() }()
	p.setRefuse(false)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := r.WaitLast(t, "last kick"); !slices.Equal(got, []string{"last kick"}) {
		t.Fatalf("a received %q", got)
	}
}
