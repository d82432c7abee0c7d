package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/chatd/chatd/internal/im"
	"io"
	"net"
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
// delivering one message to 200 real sockets must not allocate per
// connection, and every socket must receive the same complete frame,
// compressed (once) for connections that negotiated it.
func TestFanOutDoesNotAllocatePerConnection(t *testing.T) {
	for _, deflate := range []bool{false, true} {
		t.Run(fmt.Sprintf("deflate %v", deflate), func(t *testing.T) {
			g := New(Config{}, Deps{})
			re := newRoomEntry()
			var peers []net.Conn
			for _, p := range socketPairs(t, 200) {
				c, err := g.newConn(p[0], "test", deflate)
				if err != nil {
					t.Fatal(err)
				}
				re.add(c)
				peers = append(peers, p[1])
			}
			payload, err := encodePush(im.Push{GroupID: "av-1", Event: json.RawMessage(`{"text":"` + strings.Repeat("hi ", 100) + `"}`)})
			if err != nil {
				t.Fatal(err)
			}
			frames := frameForAll(payload)
			want := *frames.forConn(&conn{deflate: deflate})
			if deflate == (len(want) >= len(*frames.full)) {
				t.Fatalf("a %d-byte frame for %d plain bytes", len(want), len(*frames.full))
			}
			const runs = 10
			if allocs := testing.AllocsPerRun(runs, func() { re.deliver(frames, nil) }); allocs > 0 {
				t.Fatalf("fan-out to %d connections allocated %.0f times per message, want none", len(peers), allocs)
			}
			for _, p := range peers {
				got := make([]byte, len(want)*(runs+1)) // AllocsPerRun adds a warm-up run
				if _, err := io.ReadFull(p, got); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, bytes.Repeat(want, runs+1)) {
					t.Fatalf("a socket received %q", got)
				}
			}
		})
	}
}

// socketPairs returns n connected loopback TCP pairs: [server side, client side].
func socketPairs(t *testing.T, n int) [][2]net.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pairs := make([][2]net.Conn, n)
	for i := range pairs {
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		server, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		pairs[i] = [2]net.Conn{server, client}
		t.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	}
	return pairs
}
