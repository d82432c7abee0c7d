package natsbus

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/chatd/chatd/internal/bus"
	"github.com/chatd/chatd/internal/bus/bustest"
)

// envURL names the variable holding the NATS server the tests use.
const envURL = "CHATD_TEST_NATS"

// defaultURL is the local server CI starts (see .ci/run).
const defaultURL = "nats://127.0.0.1:4222"

// waitTimeout is a failure deadline, not a timing expectation.
const waitTimeout = 10 * time.Second

func testURL() string {
	if u := os.Getenv(envURL); u != "" {
		return u
	}
	return defaultURL
}

// newPrefix returns a subject prefix no other test, in this process or any
// other sharing the server, uses.
func newPrefix() string { return "chatdtest." + rand.Text() }

// testLogger logs through t until the test ends. nats.go reports events on
// its own goroutine and one may still be queued when the test returns;
// logging through t after that would panic.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.stop) // registered first, so it runs after every Close
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// probe connects once per test binary, so that with no server every test
// skips (or fails) at once instead of each waiting out its own timeout.
var probe = sync.OnceValue(func() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := Connect(ctx, testURL(), Options{Name: "chatd-test-probe"})
	if err != nil {
		return err
	}
	return b.Close()
})

// mustConnect connects a Bus to the test server through url (the server
// itself when empty) and closes it when the test ends. When NATS cannot be
// reached the test fails if CI=true and is skipped otherwise (requireNATS):
// on CI a missing server must not turn the suite silently green.
func mustConnect(t *testing.T, url string, opts Options) *Bus {
	t.Helper()
	requireNATS(t)
	if url == "" {
		url = testURL()
	}
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	b, err := Connect(ctx, url, opts)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// requireNATS skips the test, or fails it when CI=true, unless the test
// server answers.
func requireNATS(t *testing.T) {
	t.Helper()
	if err := probe(); err != nil {
		msg := fmt.Sprintf("natsbus: NATS not reachable at %s (set %s): %v", testURL(), envURL, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg + "; skipping (set CI=true to fail instead)")
	}
}

func mustFlush(t *testing.T, b *Bus) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := b.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func TestConformance(t *testing.T) {
	bustest.Run(t, func(t *testing.T) bus.Bus {
		return mustConnect(t, "", Options{Prefix: newPrefix()})
	})
}

// TestTwoNodes is the reason the package exists: two Bus instances are two
// chatd nodes, and a message published on either reaches the subscribers
// on both, each exactly once.
func TestTwoNodes(t *testing.T) {
	subj := bus.UserSubject(1400000001, "alice")
	a, b, onA, onB := twoSubscribedNodes(t, subj, Options{})

	// A Flush without a deadline works too: nats.go alone would refuse it.
	if err := a.Flush(context.Background()); err != nil {
		t.Fatalf("Flush without a deadline: %v", err)
	}

	bustest.MustPublish(t, a, subj, "from a")
	bustest.MustPublish(t, a, subj, "end a")
	for name, r := range map[string]*bustest.Recorder{"a": onA, "b": onB} {
		if got := r.WaitLast(t, "end a"); !slices.Equal(got, []string{"from a", "end a"}) {
			t.Errorf("node %s received %q, want each message of node a once", name, got)
		}
	}

	bustest.MustPublish(t, b, subj, "from b")
	for name, r := range map[string]*bustest.Recorder{"a": onA, "b": onB} {
		if got := r.WaitLast(t, "from b"); !slices.Equal(got, []string{"from a", "end a", "from b"}) {
			t.Errorf("node %s received %q, want each message once", name, got)
		}
	}
}

// twoSubscribedNodes connects two nodes of one cluster with opts, each
// subscribed to subj with a recorder, once the server has both
// subscriptions.
func twoSubscribedNodes(t *testing.T, subj string, opts Options) (a, b *Bus, onA, onB *bustest.Recorder) {
	t.Helper()
	opts.Prefix = newPrefix()
	opts.Name = "node-a"
	a = mustConnect(t, "", opts)
	opts.Name = "node-b"
	b = mustConnect(t, "", opts)
	onA, onB = bustest.NewRecorder(), bustest.NewRecorder()
	bustest.MustSubscribe(t, a, subj, onA.Handle)
	bustest.MustSubscribe(t, b, subj, onB.Handle)
	// Another node's publish only follows our SUB once the server has it.
	mustFlush(t, a)
	mustFlush(t, b)
	return a, b, onA, onB
}

// TestPrefixesIsolate checks that two clusters sharing one server with
// different prefixes never see each other's messages.
func TestPrefixesIsolate(t *testing.T) {
	x := mustConnect(t, "", Options{Prefix: newPrefix()})
	y := mustConnect(t, "", Options{Prefix: newPrefix()})
	subj := bus.GroupSubject(1, "room")
	onX, onY := bustest.NewRecorder(), bustest.NewRecorder()
	bustest.MustSubscribe(t, x, subj, onX.Handle)
	bustest.MustSubscribe(t, y, subj, onY.Handle)
	mustFlush(t, y)

	bustest.MustPublish(t, x, subj, "x")
	onX.WaitLast(t, "x")
	// The server routed "x" before delivering it to x, so had it matched
	// y's subscription it would be queued to y ahead of anything y
	// publishes now.
	bustest.MustPublish(t, y, subj, "y")
	if got := onY.WaitLast(t, "y"); !slices.Equal(got, []string{"y"}) {
		t.Fatalf("other prefix received %q", got)
	}
}

// TestOneNATSSubscriptionPerSubject checks the fan-out: however many
// handlers a node registers for a subject, the server sends each message
// to the node once.
func TestOneNATSSubscriptionPerSubject(t *testing.T) {
	b := mustConnect(t, "", Options{Prefix: newPrefix()})
	subj := bus.GroupSubject(1, "big room")
	const n = 100
	recs := make([]*bustest.Recorder, n)
	unsubs := make([]func(), n)
	for i := range n {
		recs[i] = bustest.NewRecorder()
		unsubs[i] = bustest.MustSubscribe(t, b, subj, recs[i].Handle)
	}
	if got := b.nc.NumSubscriptions(); got != 1 {
		t.Fatalf("%d handlers hold %d NATS subscriptions, want 1", n, got)
	}
	bustest.MustPublish(t, b, subj, "m")
	for i, r := range recs {
		if got := r.WaitLast(t, "m"); len(got) != 1 {
			t.Fatalf("handler %d received %q", i, got)
		}
	}
	if got := b.nc.Stats().InMsgs; got != 1 {
		t.Fatalf("the node received %d messages from the server, want 1", got)
	}
	for _, unsub := range unsubs {
		unsub()
	}
	if got := b.nc.NumSubscriptions(); got != 0 {
		t.Fatalf("after every handler left, %d NATS subscriptions remain", got)
	}
}

// TestClose checks what callers of a closed node see.
func TestClose(t *testing.T) {
	b := mustConnect(t, "", Options{Prefix: newPrefix()})
	subj := bus.KickSubject(1, "u")
	r := bustest.NewRecorder()
	unsub := bustest.MustSubscribe(t, b, subj, r.Handle)
	bustest.MustPublish(t, b, subj, "before")
	r.WaitLast(t, "before")

	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	unsub()
	if err := b.Publish(context.Background(), subj, []byte("x")); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("Publish after Close = %v, want bus.ErrClosed", err)
	}
	if _, err := b.Subscribe(subj, r.Handle); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("Subscribe after Close = %v, want bus.ErrClosed", err)
	}
	if err := b.Flush(context.Background()); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("Flush after Close = %v, want bus.ErrClosed", err)
	}
	if !b.nc.IsClosed() {
		t.Fatal("the NATS connection is still open")
	}
}

// TestCloseDeliversEarlierPublishes checks that Close does not lose what was
// published just before it: a node shutting down still sends its last kicks.
func TestCloseDeliversEarlierPublishes(t *testing.T) {
	prefix := newPrefix()
	a := mustConnect(t, "", Options{Prefix: prefix})
	b := mustConnect(t, "", Options{Prefix: prefix})
	subj := bus.KickSubject(1, "u")
	r := bustest.NewRecorder()
	bustest.MustSubscribe(t, b, subj, r.Handle)
	mustFlush(t, b)
	const n = 1000
	for i := range n {
		bustest.MustPublish(t, a, subj, fmt.Sprint(i))
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := r.WaitLast(t, fmt.Sprint(n-1)); len(got) != n {
		t.Fatalf("received %d of %d messages published before Close", len(got), n)
	}
}

// TestCloseInsideHandler checks that a handler may close the bus: Close
// must not wait for the handler that calls it.
func TestCloseInsideHandler(t *testing.T) {
	b := mustConnect(t, "", Options{Prefix: newPrefix()})
	subj := bus.KickSubject(1, "g")
	done := make(chan error, 1)
	bustest.MustSubscribe(t, b, subj, func([]byte) { done <- b.Close() })
	bustest.MustPublish(t, b, subj, "")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Close inside a handler did not return")
	}
}

func TestConnectRejectsBadPrefix(t *testing.T) {
	for _, prefix := range []string{"a.*", ">", "a..b", "a b", ".a", "a."} {
		_, err := Connect(context.Background(), testURL(), Options{Prefix: prefix})
		if !errors.Is(err, nats.ErrBadSubject) {
			t.Errorf("Connect with prefix %q = %v, want nats.ErrBadSubject", prefix, err)
		}
	}
}

// TestConnectHonoursContext checks that Connect gives up when ctx ends
// while nothing answers, instead of retrying forever.
func TestConnectHonoursContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // a port nobody listens on: every dial is refused
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	b, err := Connect(ctx, "nats://"+addr, Options{ReconnectWait: 10 * time.Millisecond, Logger: testLogger(t)})
	if err == nil {
		b.Close()
		t.Fatal("Connect succeeded with no server")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Connect = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Connect took %v after its context ended", d)
	}
}
