package gateway

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chatd/chatd/client"
)

// TestSlowConsumerIsDropped parks a connection that never reads in a room
// with a healthy one, then pushes until the gateway gives up on the slow
// one. The healthy client must keep every message and its connection.
func TestSlowConsumerIsDropped(t *testing.T) {
	h := newHarness(t, Config{SendQueue: 4})
	slow := h.raw()
	slow.login("sloth")
	slow.send(`{"id":2,"op":"join_group","GroupId":"av-1"}`)
	if m := slow.read(); m["ErrorCode"] != float64(0) {
		t.Fatalf("slow join: %v", m)
	}
	// From here on nothing reads slow's socket: kernel buffers fill, its
	// writer blocks, its queue overflows.
	fast := h.dial("hare", client.WithEventBuffer(1))
	h.join(fast, "av-1")

	big := fmt.Sprintf(`{"pad":%q}`, strings.Repeat("x", 64<<10))
	for i := 0; h.count("av-1") == 2; i++ {
		if i > 10000 {
			t.Fatal("slow consumer never dropped")
		}
		mustPush(t, h, "av-1", big)
		// Pace on the healthy client so only the slow one can fall behind.
		if ev := nextEvent(t, fast); ev.Op != "push" {
			t.Fatalf("fast client got %s", ev.Raw)
		}
	}
	if !h.tracker.IsOnline(testApp, "av-1", "hare") {
		t.Fatal("the healthy client was dropped too")
	}
	waitFor(t, "the slow socket to go", func() bool { return h.gw.Stats().Connections == 1 })
	mustPush(t, h, "av-1", `{"after":true}`)
	if ev := nextEvent(t, fast); !strings.Contains(string(ev.Raw), `"after":true`) {
		t.Fatalf("fast client got %s", ev.Raw)
	}
}

// TestFanOutDoesNotAllocatePerConnection measures the room handler itself:
// delivering one frame to 1,000 connections must not allocate per
// connection, nor copy the frame.
func TestFanOutDoesNotAllocatePerConnection(t *testing.T) {
	g := New(Config{}, Deps{})
	re := &roomEntry{conns: make(map[*conn]struct{})}
	for i := range 1000 {
		c := &conn{g: g, id: uint64(i + 1), send: make(chan *[]byte, 16)}
		re.conns[c] = struct{}{}
	}
	frame, err := encodePush("av-1", json.RawMessage(`{"text":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	// One allocation per message (the shared slice header) is the budget,
	// whatever the number of connections.
	if allocs := testing.AllocsPerRun(10, func() { re.deliver(frame) }); allocs > 1 {
		t.Fatalf("fan-out to 1,000 connections allocated %.0f times per message, want at most 1", allocs)
	}
	for c := range re.conns {
		if len(c.send) != 11 || &(*<-c.send)[0] != &frame[0] {
			t.Fatal("connections did not all receive the shared frame")
		}
	}
}
