// Package bustest is the conformance suite every bus.Bus implementation
// must pass. It assumes only the contract written on bus.Bus: delivery may
// be synchronous or asynchronous, so every check waits for a condition
// (with a deadline) instead of assuming delivery happened on return.
package bustest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/bus"
)

// waitTimeout bounds every wait. It is a failure deadline, not a timing
// expectation: a passing run never comes near it.
const waitTimeout = 10 * time.Second

// Run runs the suite. newBus returns a fresh, empty bus for each subtest;
// Run closes it.
func Run(t *testing.T, newBus func(t *testing.T) bus.Bus) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b bus.Bus)
	}{
		{"DeliversExactBytes", testDeliversExactBytes},
		{"NoSubscribersIsNotAnError", testNoSubscribers},
		{"SubjectsAreIsolated", testSubjectsAreIsolated},
		{"EverySubscriberOnce", testEverySubscriberOnce},
		{"Unsubscribe", testUnsubscribe},
		{"OrderPerSubject", testOrderPerSubject},
		{"OddIDs", testOddIDs},
		{"HandlersMayReenter", testReentrant},
		{"ConcurrentUse", testConcurrent},
		{"CancelledContext", testCancelledContext},
		{"Close", testClose},
		{"Health", testHealth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBus(t)
			t.Cleanup(func() { _ = b.Close() })
			tt.fn(t, b)
		})
	}
}

// Recorder collects what one subscription received; bus tests of any
// implementation can use it as their handler.
type Recorder struct {
	mu   sync.Mutex
	msgs []string
	cond chan struct{} // closed and replaced on every delivery
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{cond: make(chan struct{})} }

// Handle records one delivery; pass it to Subscribe.
func (r *Recorder) Handle(data []byte) {
	r.mu.Lock()
	r.msgs = append(r.msgs, string(data))
	close(r.cond)
	r.cond = make(chan struct{})
	r.mu.Unlock()
}

// Snapshot returns what was received so far.
func (r *Recorder) Snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// WaitFor blocks until ok holds for what was received, or fails the test.
func (r *Recorder) WaitFor(t *testing.T, what string, ok func([]string) bool) []string {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		r.mu.Lock()
		msgs, ch := slices.Clone(r.msgs), r.cond
		r.mu.Unlock()
		if ok(msgs) {
			return msgs
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; received %d messages: %q", what, len(msgs), head(msgs))
		}
	}
}

// WaitLast waits until the last message received is want: because order
// per subject is guaranteed, everything published before it has arrived.
func (r *Recorder) WaitLast(t *testing.T, want string) []string {
	t.Helper()
	return r.WaitFor(t, strconv.Quote(want), func(m []string) bool {
		return len(m) > 0 && m[len(m)-1] == want
	})
}

func head(m []string) []string { return m[:min(5, len(m))] }

// MustSubscribe subscribes fn or fails the test.
func MustSubscribe(t *testing.T, b bus.Bus, subject string, fn func([]byte)) func() {
	t.Helper()
	unsub, err := b.Subscribe(subject, fn)
	if err != nil {
		t.Fatalf("Subscribe(%s): %v", subject, err)
	}
	return unsub
}

// MustPublish publishes data or fails the test.
func MustPublish(t *testing.T, b bus.Bus, subject, data string) {
	t.Helper()
	if err := b.Publish(context.Background(), subject, []byte(data)); err != nil {
		t.Fatalf("Publish(%s, %q): %v", subject, data, err)
	}
}

func testDeliversExactBytes(t *testing.T, b bus.Bus) {
	r := NewRecorder()
	subj := bus.GroupSubject(1, "g")
	MustSubscribe(t, b, subj, r.Handle)
	payload := `{"op":"push","event":{"x":"ü\u0000"}}`
	MustPublish(t, b, subj, payload)
	MustPublish(t, b, subj, "")
	got := r.WaitFor(t, "two messages", func(m []string) bool { return len(m) == 2 })
	if got[0] != payload || got[1] != "" {
		t.Fatalf("received %q, want [%q %q]", got, payload, "")
	}
}

func testNoSubscribers(t *testing.T, b bus.Bus) {
	MustPublish(t, b, bus.UserSubject(1, "nobody"), "x")
}

func testSubjectsAreIsolated(t *testing.T, b bus.Bus) {
	subjects := []string{
		bus.GroupSubject(1, "a"), bus.GroupSubject(1, "ab"), bus.GroupSubject(2, "a"),
		bus.UserSubject(1, "a"), bus.KickSubject(1, "a"),
		bus.GroupSubject(12, "3"), bus.GroupSubject(1, "23"),
	}
	recs := make([]*Recorder, len(subjects))
	for i, s := range subjects {
		recs[i] = NewRecorder()
		MustSubscribe(t, b, s, recs[i].Handle)
	}
	for i, s := range subjects {
		MustPublish(t, b, s, "msg"+strconv.Itoa(i))
	}
	for i, s := range subjects {
		MustPublish(t, b, s, "end")
		got := recs[i].WaitLast(t, "end")
		if want := []string{"msg" + strconv.Itoa(i), "end"}; !slices.Equal(got, want) {
			t.Errorf("%s received %q, want %q", s, got, want)
		}
	}
}

func testEverySubscriberOnce(t *testing.T, b bus.Bus) {
	subj := bus.GroupSubject(1, "room")
	recs := []*Recorder{NewRecorder(), NewRecorder(), NewRecorder()}
	for _, r := range recs {
		MustSubscribe(t, b, subj, r.Handle)
	}
	// The same handler registered twice is two subscriptions.
	twice := NewRecorder()
	MustSubscribe(t, b, subj, twice.Handle)
	MustSubscribe(t, b, subj, twice.Handle)
	MustPublish(t, b, subj, "m")
	MustPublish(t, b, subj, "end")
	for i, r := range recs {
		if got := r.WaitLast(t, "end"); !slices.Equal(got, []string{"m", "end"}) {
			t.Errorf("subscriber %d received %q", i, got)
		}
	}
	got := twice.WaitFor(t, "both copies", func(m []string) bool { return len(m) >= 4 })
	slices.Sort(got)
	if !slices.Equal(got, []string{"end", "end", "m", "m"}) {
		t.Errorf("double subscription received %q", got)
	}
}

func testUnsubscribe(t *testing.T, b bus.Bus) {
	subj := bus.UserSubject(1, "u")
	gone, stays := NewRecorder(), NewRecorder()
	unsub := MustSubscribe(t, b, subj, gone.Handle)
	MustSubscribe(t, b, subj, stays.Handle)
	MustPublish(t, b, subj, "before")
	gone.WaitLast(t, "before")
	unsub()
	unsub() // idempotent
	MustPublish(t, b, subj, "after")
	stays.WaitLast(t, "after")
	if got := gone.Snapshot(); !slices.Equal(got, []string{"before"}) {
		t.Fatalf("unsubscribed handler received %q", got)
	}
	// Re-subscribing the subject works after its last subscriber left.
	again := NewRecorder()
	MustSubscribe(t, b, bus.KickSubject(1, "solo"), again.Handle)()
	MustSubscribe(t, b, bus.KickSubject(1, "solo"), again.Handle)
	MustPublish(t, b, bus.KickSubject(1, "solo"), "x")
	again.WaitLast(t, "x")
}

func testOrderPerSubject(t *testing.T, b bus.Bus) {
	const n = 1000
	subj := bus.GroupSubject(7, "ordered")
	r := NewRecorder()
	MustSubscribe(t, b, subj, r.Handle)
	for i := range n {
		MustPublish(t, b, subj, strconv.Itoa(i))
	}
	got := r.WaitLast(t, strconv.Itoa(n-1))
	if len(got) != n {
		t.Fatalf("received %d messages, want %d", len(got), n)
	}
	for i, m := range got {
		if m != strconv.Itoa(i) {
			t.Fatalf("message %d is %q: order not preserved", i, m)
		}
	}
}

// testOddIDs checks that IDs carrying characters NATS reserves still map to
// distinct, deliverable subjects.
func testOddIDs(t *testing.T, b bus.Bus) {
	ids := []string{"", "a.b", "a", "b", "*", ">", "a b", "@TGS#_@TGS#cX", "a.*.>", "用户", "ab.", ".ab", "a\x00"}
	seen := map[string]string{}
	recs := map[string]*Recorder{}
	for _, id := range ids {
		for _, s := range []string{bus.UserSubject(9, id), bus.GroupSubject(9, id)} {
			if prev, dup := seen[s]; dup {
				t.Fatalf("IDs %q and %q share subject %s", prev, id, s)
			}
			seen[s] = id
			recs[s] = NewRecorder()
			MustSubscribe(t, b, s, recs[s].Handle)
		}
	}
	for s, id := range seen {
		MustPublish(t, b, s, "to "+id)
	}
	for s, id := range seen {
		if got := recs[s].WaitLast(t, "to "+id); len(got) != 1 {
			t.Errorf("subject %s (id %q) received %q", s, id, got)
		}
	}
}

func testReentrant(t *testing.T, b bus.Bus) {
	in, out := bus.GroupSubject(1, "in"), bus.GroupSubject(1, "out")
	r := NewRecorder()
	MustSubscribe(t, b, out, r.Handle)
	errs := make(chan error, 4)
	_, err := b.Subscribe(in, func(data []byte) {
		// A handler that publishes and churns a subscription must not deadlock.
		unsub, err := b.Subscribe(bus.UserSubject(1, "tmp"), func([]byte) {})
		if err == nil {
			unsub()
		}
		if err == nil {
			err = b.Publish(context.Background(), out, append([]byte("re:"), data...))
		}
		if err != nil {
			errs <- err
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	MustPublish(t, b, in, "x")
	r.WaitLast(t, "re:x")
	select {
	case err := <-errs:
		t.Fatalf("inside handler: %v", err)
	default:
	}
}

func testConcurrent(t *testing.T, b bus.Bus) {
	const publishers, perPublisher = 8, 200
	subj := bus.GroupSubject(3, "busy")
	stable := NewRecorder()
	MustSubscribe(t, b, subj, stable.Handle)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() { // subscription churn on the same subject
		for {
			select {
			case <-stop:
				return
			default:
			}
			unsub, err := b.Subscribe(subj, func([]byte) {})
			if err != nil {
				t.Error(err)
				return
			}
			unsub()
		}
	})
	var pubs sync.WaitGroup
	for p := range publishers {
		pubs.Go(func() {
			for i := range perPublisher {
				if err := b.Publish(context.Background(), subj, fmt.Appendf(nil, "%d-%d", p, i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	pubs.Wait()
	close(stop)
	wg.Wait()
	got := stable.WaitFor(t, "every message", func(m []string) bool { return len(m) >= publishers*perPublisher })
	if len(got) != publishers*perPublisher {
		t.Fatalf("received %d messages, want %d", len(got), publishers*perPublisher)
	}
	// Each publisher's own messages keep their order.
	last := map[string]int{}
	for _, m := range got {
		var p, i int
		if _, err := fmt.Sscanf(m, "%d-%d", &p, &i); err != nil {
			t.Fatalf("bad message %q", m)
		}
		k := strconv.Itoa(p)
		if prev, ok := last[k]; ok && i != prev+1 {
			t.Fatalf("publisher %d: message %d after %d", p, i, prev)
		}
		last[k] = i
	}
}

func testCancelledContext(t *testing.T, b bus.Bus) {
	subj := bus.UserSubject(1, "c")
	r := NewRecorder()
	MustSubscribe(t, b, subj, r.Handle)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Publish(ctx, subj, []byte("no")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish with a cancelled context = %v, want context.Canceled", err)
	}
	MustPublish(t, b, subj, "yes")
	if got := r.WaitLast(t, "yes"); !slices.Equal(got, []string{"yes"}) {
		t.Fatalf("received %q", got)
	}
}

func testClose(t *testing.T, b bus.Bus) {
	subj := bus.UserSubject(1, "z")
	r := NewRecorder()
	unsub := MustSubscribe(t, b, subj, r.Handle)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	unsub() // unsubscribing after Close is harmless
	if err := b.Publish(context.Background(), subj, []byte("x")); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("Publish after Close = %v, want ErrClosed", err)
	}
	if _, err := b.Subscribe(subj, r.Handle); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("Subscribe after Close = %v, want ErrClosed", err)
	}
	if got := r.Snapshot(); len(got) != 0 {
		t.Fatalf("received %q after Close", got)
	}
}

// testHealth checks a bus that reports its connection: a fresh bus of the
// suite is connected.
func testHealth(t *testing.T, b bus.Bus) {
	h, ok := b.(bus.Health)
	if !ok {
		t.Skip("the bus does not implement bus.Health")
	}
	if !h.Connected() {
		t.Fatal("a fresh bus is not Connected")
	}
}
