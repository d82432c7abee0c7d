package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
	"github.com/chatd/chatd/internal/bus"
	"github.com/chatd/chatd/internal/im"
)

// cutBus is a shared in-process bus whose publishes can be lost, like
// NATS's while a node is cut off.
type cutBus struct {
	*bus.Local
	down atomic.Bool
}

func (b *cutBus) Publish(ctx context.Context, subject string, data []byte) error {
	if b.down.Load() {
		return nil // lost on the way, as a publish buffered during an outage can be
	}
	return b.Local.Publish(ctx, subject, data)
}

// TestLiveRoomReplayAfterOutage: live-room messages published on node A
// while the bus lost them reach node B's viewers after B asks for a
// replay, once each and in MsgSeq order; messages B had are not repeated.
func TestLiveRoomReplayAfterOutage(t *testing.T) {
	shared := &cutBus{Local: bus.NewLocal()}
	t.Cleanup(func() { _ = shared.Close() })
	a, b := newHarnessOnBus(t, Config{}, shared), newHarnessOnBus(t, Config{}, shared)
	viewer := b.dial("viewer")
	b.join(viewer, "av-1")

	send := func(seq int64) {
		t.Helper()
		p := im.Push{MsgSeq: seq, Event: json.RawMessage(fmt.Sprintf(`{"n":%d}`, seq))}
		if err := a.gw.DeliverRoom(bg, testApp, "av-1", p); err != nil {
			t.Fatal(err)
		}
	}
	send(1)
	shared.down.Store(true)
	send(2)
	send(3)
	shared.down.Store(false)
	send(4)
	b.gw.reconnected()

	var got []int64
	for len(got) < 4 {
		ev := nextEvent(t, viewer)
		if ev.Op != "push" {
			continue
		}
		got = append(got, ev.MsgSeq)
	}
	if fmt.Sprint(got) != "[1 4 2 3]" {
		t.Fatalf("MsgSeqs %v, want 1 and 4 live, then 2 and 3 replayed", got)
	}
	b.gw.reconnected() // a second replay repeats nothing
	send(5)
	if ev := nextEvent(t, viewer); ev.MsgSeq != 5 {
		t.Fatalf("after a second replay: %s", ev.Raw)
	}
}

// TestBroadcastToAllRooms: a broadcast reaches every connection in any of
// the app's live rooms once, on this node and on others, and nobody else.
func TestBroadcastToAllRooms(t *testing.T) {
	shared := bus.NewLocal()
	t.Cleanup(func() { _ = shared.Close() })
	a, b := newHarnessOnBus(t, Config{}, shared), newHarnessOnBus(t, Config{}, shared)
	both := a.dial("both")
	a.join(both, "av-1")
	a.join(both, "av-2")
	remote := b.dial("remote")
	b.join(remote, "av-3")
	outside := a.dial("outside")
	if err := a.gw.DeliverAllRooms(bg, testApp, im.Push{Event: json.RawMessage(`{"Type":"BroadcastMsg"}`)}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{both, remote} {
		if ev := nextEvent(t, c); ev.Op != "push" || ev.Type != "BroadcastMsg" {
			t.Fatalf("got %s", ev.Raw)
		}
	}
	time.Sleep(100 * time.Millisecond)
	for name, c := range map[string]*client.Client{"a connection in two rooms": both, "one in no room": outside} {
		if n := len(c.Events()); n != 0 {
			t.Fatalf("%s got %d more events", name, n)
		}
	}
}
