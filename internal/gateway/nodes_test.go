package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/chatd/chatd/internal/im"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
	"github.com/chatd/chatd/internal/bus/natsbus/natstest"
)

// twoNodes starts two gateways on one NATS server under a fresh subject
// prefix: two chatd nodes of one cluster.
func twoNodes(t *testing.T) (a, b *harness) {
	t.Helper()
	buses := natstest.Cluster(t, 2)
	return newHarnessOnBus(t, Config{}, buses[0]), newHarnessOnBus(t, Config{}, buses[1])
}

// TestDeliveryAcrossNodes: one push through node A reaches every connection
// in the room on both nodes exactly once, and a push to a user reaches each
// of their devices on either node once.
func TestDeliveryAcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	var room []*client.Client
	for i := range 30 {
		c := a.dial(fmt.Sprint("a", i))
		a.join(c, "av-1")
		room = append(room, c)
	}
	for i := range 20 {
		c := b.dial(fmt.Sprint("b", i))
		b.join(c, "av-1")
		room = append(room, c)
	}
	// A node subscribes to a room's subject when its first member joins;
	// a round trip through both nodes' subscriptions proves them in place.
	waitFor(t, "both nodes to receive room pushes", func() bool {
		mustPush(t, a, "av-1", `{"probe":true}`)
		time.Sleep(20 * time.Millisecond)
		return len(room[0].Events()) > 0 && len(room[49].Events()) > 0
	})
	for _, c := range room {
		drain(c)
	}

	mustPush(t, a, "av-1", `{"n":1}`)
	mustPush(t, a, "av-1", `{"n":2}`)
	for i, c := range room {
		for _, want := range []string{`"n":1`, `"n":2`} {
			if ev := nextPayload(t, c); !strings.Contains(string(ev.Raw), want) {
				t.Fatalf("client %d: got %s, want %s", i, ev.Raw, want)
			}
		}
	}
	// Exactly once: nothing more arrives.
	time.Sleep(100 * time.Millisecond)
	for i, c := range room {
		if n := payloads(c); n != 0 {
			t.Fatalf("client %d got %d extra events", i, n)
		}
	}

	// One user, a device on each node: a user push through B reaches both.
	onA, onB := a.dial("both"), b.dial("both")
	waitFor(t, "the user push to reach both devices", func() bool {
		if err := b.gw.DeliverUser(context.Background(), testApp, "both", im.Push{Event: json.RawMessage(`{"probe":true}`)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		return len(onA.Events()) > 0 && len(onB.Events()) > 0
	})
	drain(onA)
	drain(onB)
	if err := b.gw.DeliverUser(context.Background(), testApp, "both", im.Push{Event: json.RawMessage(`{"hello":1}`)}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{onA, onB} {
		if ev := nextPayload(t, c); !strings.Contains(string(ev.Raw), `"hello":1`) {
			t.Fatalf("user push: got %s", ev.Raw)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if payloads(onA)+payloads(onB) != 0 {
		t.Fatal("a user push arrived twice")
	}
}

// drain discards the events already received.
func drain(c *client.Client) { payloads(c) }

// isProbe tells the pushes that only checked subscriptions were in place;
// late ones may still arrive after drain.
func isProbe(ev client.Event) bool { return strings.Contains(string(ev.Raw), `"probe":true`) }

// nextPayload is nextEvent skipping probes.
func nextPayload(t *testing.T, c *client.Client) client.Event {
	t.Helper()
	for {
		if ev := nextEvent(t, c); !isProbe(ev) {
			return ev
		}
	}
}

// payloads discards the events already received and counts those that
// were not probes.
func payloads(c *client.Client) int {
	n := 0
	for {
		select {
		case ev := <-c.Events():
			if !isProbe(ev) {
				n++
			}
		default:
			return n
		}
	}
}
