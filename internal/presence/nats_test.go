package presence

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/bus/natsbus"
)

// natsURL is the local server CI starts (see .ci/run).
const natsURL = "nats://127.0.0.1:4222"

// warnCounter is a slog handler that counts warnings: a presence message
// NATS refuses (over its payload limit) is logged as one.
type warnCounter struct{ n atomic.Int64 }

func (w *warnCounter) Enabled(context.Context, slog.Level) bool { return true }
func (w *warnCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		w.n.Add(1)
	}
	return nil
}
func (w *warnCounter) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnCounter) WithGroup(string) slog.Handler      { return w }

// natsNode is a node on the local NATS server under prefix.
func natsNode(t *testing.T, prefix string, warns *warnCounter) *testNode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := natsbus.Connect(ctx, natsURL, natsbus.Options{Prefix: prefix})
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NATS at %s: %v", natsURL, err)
		}
		t.Skipf("NATS not reachable at %s: %v; skipping (set CI=true to fail instead)", natsURL, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	tr := NewTracker(nil)
	c, err := NewCluster(tr, b, ClusterOptions{Logger: slog.New(warns)})
	if err != nil {
		t.Fatal(err)
	}
	return &testNode{Tracker: tr, c: c}
}

// eventually polls cond until it holds; the deadline is a failure bound,
// not a timing expectation.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNATSLargeRoom: a room of 50,000 mark holders over 2 nodes on a real
// NATS server, whose messages may not exceed 1 MiB. Both nodes count and
// list every holder, and a node that starts later gets them all from the
// others' snapshots (each some 2 MB, in parts) before its first answer.
func TestNATSLargeRoom(t *testing.T) {
	const perNode = 25_000
	var id [6]byte
	_, _ = rand.Read(id[:])
	prefix := "chatdtest.presence_" + hex.EncodeToString(id[:])
	warns := &warnCounter{}
	a, b := natsNode(t, prefix, warns), natsNode(t, prefix, warns)
	t.Cleanup(a.c.Start())
	t.Cleanup(b.c.Start())
	for i := range perNode {
		for j, n := range []*testNode{a, b} {
			u := fmt.Sprintf("user%d_%05d", j, i)
			n.Enter(app, "room", u, uint64(i+1))
			n.SetMarks(app, "room", u, []int{1001, 1002}, true)
		}
	}
	for name, n := range map[string]*testNode{"A": a, "B": b} {
		eventually(t, name+" to count every mark holder", func() bool {
			return n.c.Count(app, "room") == 2*perNode && n.c.MarkCounts(app, "room")[1001] == 2*perNode
		})
	}
	c := natsNode(t, prefix, warns)
	t.Cleanup(c.c.Start())
	if got := c.c.Count(app, "room"); got != 2*perNode {
		t.Fatalf("a node started later counts %d at first, want %d", got, 2*perNode)
	}
	if got := c.c.MarkCounts(app, "room"); got[1001] != 2*perNode || got[1002] != 2*perNode {
		t.Fatalf("a node started later counts mark holders %v, want %d of each", got, 2*perNode)
	}
	if page, _ := c.c.Members(app, "room", 1002, 0, MaxListed); len(page) != MaxListed {
		t.Fatalf("a node started later lists %d holders of a mark, want the newest %d", len(page), MaxListed)
	}
	if n := warns.n.Load(); n != 0 {
		t.Fatalf("%d warnings logged: a message did not go out", n)
	}
}
