package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chatd/chatd/internal/bus"
	"github.com/chatd/chatd/internal/im"
)

// TestOpCorksItsConnection: what an op makes for its own connection (pushes
// to the sender's stream) arrives before the op's reply and in order,
// whether it fits the cork or overflows it, and a push to another user's
// connection is not held by the op.
func TestOpCorksItsConnection(t *testing.T) {
	b := bus.NewLocal()
	t.Cleanup(func() { _ = b.Close() })
	other := make(chan struct{})
	h := newHarnessWith(t, Config{}, b, func(h *harness) map[string]Op {
		return map[string]Op{"pushes": {Handle: func(ctx context.Context, s *Session, frame json.RawMessage) (any, error) {
			var req struct{ N int }
			if err := json.Unmarshal(frame, &req); err != nil {
				return nil, err
			}
			if err := h.gw.DeliverUser(ctx, s.AppID, "bob", im.Push{Seq: 1, Event: json.RawMessage(`{"Type":"X"}`)}); err != nil {
				return nil, err
			}
			<-other // bob has it while the op still runs
			for i := range req.N {
				if err := h.gw.DeliverUser(ctx, s.AppID, s.UserID, im.Push{Seq: int64(i + 1), Event: json.RawMessage(`{"Type":"X"}`)}); err != nil {
					return nil, err
				}
			}
			return map[string]int{"Pushed": req.N}, nil
		}}}
	})
	alice, bob := h.raw(), h.raw()
	alice.login("alice")
	bob.login("bob")
	for round, n := range []int{1, maxHeld + 5} {
		alice.send(fmt.Sprintf(`{"id":%d,"op":"pushes","N":%d}`, round+10, n))
		if m := bob.read(); m["op"] != "push" {
			t.Fatalf("bob got %v, want the push", m)
		}
		other <- struct{}{}
		for i := range n {
			if m := alice.read(); m["op"] != "push" || m["Seq"] != float64(i+1) {
				t.Fatalf("round %d: frame %d is %v, want push Seq %d", round, i, m, i+1)
			}
		}
		if m := alice.read(); m["id"] != float64(round+10) || m["Pushed"] != float64(n) {
			t.Fatalf("round %d: got %v, want the reply", round, m)
		}
	}
}

// TestCorkHoldsOthersBriefly: a push from elsewhere to a connection whose
// request is waiting (on the store, say) reaches it while the request
// still waits, not when it ends.
func TestCorkHoldsOthersBriefly(t *testing.T) {
	b := bus.NewLocal()
	t.Cleanup(func() { _ = b.Close() })
	started, release := make(chan struct{}), make(chan struct{})
	h := newHarnessWith(t, Config{}, b, func(h *harness) map[string]Op {
		return map[string]Op{"wait": {Handle: func(ctx context.Context, s *Session, _ json.RawMessage) (any, error) {
			close(started)
			<-release
			return map[string]int{}, nil
		}}}
	})
	alice := h.raw()
	alice.login("alice")
	alice.send(`{"id":10,"op":"wait"}`)
	<-started
	if err := h.gw.DeliverUser(context.Background(), testApp, "alice", im.Push{Seq: 1, Event: json.RawMessage(`{"Type":"X"}`)}); err != nil {
		t.Fatal(err)
	}
	if m := alice.read(); m["op"] != "push" {
		t.Fatalf("got %v, want the push while the request waits", m)
	}
	close(release)
	if m := alice.read(); m["id"] != float64(10) {
		t.Fatalf("got %v, want the reply", m)
	}
}
