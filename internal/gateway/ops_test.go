package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chatd/chatd/client"
	"github.com/chatd/chatd/internal/im"
)

var bg = context.Background()

func TestTwoConnectionsOfOneUserCountOnce(t *testing.T) {
	h := newHarness(t, Config{})
	phone, laptop := h.dial("alice"), h.dial("alice")
	h.join(phone, "av-1")
	h.join(laptop, "av-1")
	if n := h.count("av-1"); n != 1 {
		t.Fatalf("count = %d, want 1", n)
	}
	if s := h.gw.Stats(); s.Connections != 2 || s.Users != 1 || s.Rooms != 1 {
		t.Fatalf("Stats = %+v", s)
	}

	_ = phone.Close()
	waitFor(t, "the phone's socket to go", func() bool { return h.gw.Stats().Connections == 1 })
	if n := h.count("av-1"); n != 1 {
		t.Fatalf("count with the laptop still in = %d, want 1", n)
	}

	_ = laptop.Close()
	waitFor(t, "the last connection to leave the room", func() bool { return h.count("av-1") == 0 })
	if s := h.gw.Stats(); s != (Stats{}) {
		t.Fatalf("Stats after both closed = %+v", s)
	}
}

func TestQuitGroupLeavesOnlyWhenNoConnectionRemains(t *testing.T) {
	h := newHarness(t, Config{})
	a1, a2 := h.dial("alice"), h.dial("alice")
	h.join(a1, "av-1")
	h.join(a2, "av-1")
	if err := a1.QuitGroup(bg, "av-1"); err != nil {
		t.Fatal(err)
	}
	if n := h.count("av-1"); n != 1 {
		t.Fatalf("count after one device quit = %d, want 1", n)
	}
	if err := a2.QuitGroup(bg, "av-1"); err != nil {
		t.Fatal(err)
	}
	if n := h.count("av-1"); n != 0 {
		t.Fatalf("count after both quit = %d, want 0", n)
	}
}

func TestJoinRefusals(t *testing.T) {
	h := newHarness(t, Config{MaxRoomsPerConn: 2})
	c := h.dial("alice")
	h.ban("av-banned", "alice")
	h.join(c, "av-1")
	tests := []struct {
		group string
		want  int
	}{
		{"work-1", im.CodeGroupNotAllowed},
		{"nope", im.CodeGroupNotFound},
		{"", im.CodeGroupBadParam},
		{"av-banned", im.CodeGroupNotAllowed},
		{"av-2", 0},
		{"av-3", im.CodeGroupJoinLimit},
	}
	for _, tt := range tests {
		if got := codeOf(c.JoinGroup(bg, tt.group)); got != tt.want {
			t.Errorf("JoinGroup(%q) code = %d, want %d", tt.group, got, tt.want)
		}
	}
}

func TestKickUserClosesAllItsConnections(t *testing.T) {
	h := newHarness(t, Config{})
	a1, a2, bob := h.dial("alice"), h.dial("alice"), h.dial("bob")
	for _, c := range []*client.Client{a1, a2, bob} {
		h.join(c, "av-1")
	}
	if err := h.gw.KickUser(bg, testApp, "alice"); err != nil {
		t.Fatal(err)
	}
	if n := h.count("av-1"); n != 1 { // exact as soon as KickUser returns
		t.Fatalf("count after kick = %d, want 1", n)
	}
	for i, c := range []*client.Client{a1, a2} {
		ev := nextEvent(t, c)
		if ev.Op != "kicked" || field(t, ev.Raw, "Reason") != ReasonAdmin {
			t.Errorf("alice %d got %s, want kicked/admin", i, ev.Raw)
		}
		if got := waitDone(t, c); got != int(closeKicked) {
			t.Errorf("alice %d close status = %d, want %d", i, got, closeKicked)
		}
	}
	if err := bob.JoinGroup(bg, "av-2"); err != nil {
		t.Fatalf("bob was affected by alice's kick: %v", err)
	}
	waitFor(t, "alice's sockets to go", func() bool { return h.gw.Stats().Connections == 1 })
	if err := h.gw.KickUser(bg, testApp, "nobody"); err != nil {
		t.Fatalf("kicking an offline user: %v", err)
	}
}

func TestDropFromRoom(t *testing.T) {
	h := newHarness(t, Config{})
	alice, bob := h.dial("alice"), h.dial("bob")
	h.join(alice, "av-1")
	h.join(alice, "av-2")
	h.join(bob, "av-1")

	h.ban("av-1", "alice") // REST records the ban, then drops
	if err := h.gw.DropFromRoom(bg, testApp, "av-1", "alice"); err != nil {
		t.Fatal(err)
	}
	if n := h.count("av-1"); n != 1 {
		t.Fatalf("count after ban = %d, want 1", n)
	}
	ev := nextEvent(t, alice)
	if ev.Op != "group_dropped" || ev.GroupID != "av-1" || field(t, ev.Raw, "Reason") != ReasonBanned {
		t.Fatalf("alice got %s, want group_dropped av-1 banned", ev.Raw)
	}
	if got := codeOf(alice.JoinGroup(bg, "av-1")); got != im.CodeGroupNotAllowed {
		t.Fatalf("rejoin while banned: code %d, want 10007", got)
	}

	// Alice stays connected and in av-2 but no longer receives av-1; bob
	// was not told anything.
	mustPush(t, h, "av-1", `{"n":1}`)
	mustPush(t, h, "av-2", `{"n":2}`)
	if ev := nextEvent(t, alice); ev.GroupID != "av-2" {
		t.Fatalf("alice's next event is %s, want the av-2 push", ev.Raw)
	}
	if ev := nextEvent(t, bob); ev.Op != "push" || ev.GroupID != "av-1" {
		t.Fatalf("bob's next event is %s, want the av-1 push", ev.Raw)
	}
}

func TestDropRoom(t *testing.T) {
	h := newHarness(t, Config{})
	clients := []*client.Client{h.dial("a"), h.dial("b"), h.dial("a")}
	for _, c := range clients {
		h.join(c, "av-9")
	}
	if err := h.gw.DropRoom(bg, testApp, "av-9"); err != nil {
		t.Fatal(err)
	}
	if n := h.count("av-9"); n != 0 {
		t.Fatalf("after DropRoom: count %d, want 0 at once", n)
	}
	// The connections leave the room's fan-out after the frames queued
	// before the drop.
	waitFor(t, "the room to be gone", func() bool { return h.gw.Stats().Rooms == 0 })
	for i, c := range clients {
		ev := nextEvent(t, c)
		if ev.Op != "group_dropped" || ev.GroupID != "av-9" || field(t, ev.Raw, "Reason") != ReasonDestroyed {
			t.Errorf("client %d got %s", i, ev.Raw)
		}
	}
}

func TestPushToUserReachesEveryDevice(t *testing.T) {
	h := newHarness(t, Config{})
	a1, a2, bob := h.dial("alice"), h.dial("alice"), h.dial("bob")
	if err := h.gw.DeliverUser(bg, testApp, "alice", im.Push{Event: json.RawMessage(`{"hello": "alice"}`)}); err != nil {
		t.Fatal(err)
	}
	for i, c := range []*client.Client{a1, a2} {
		ev := nextEvent(t, c)
		if ev.Op != "push" || ev.GroupID != "" || field(t, ev.Raw, "event") != `{"hello":"alice"}` {
			t.Errorf("device %d got %s", i, ev.Raw)
		}
	}
	if err := h.gw.DeliverUser(bg, testApp, "bob", im.Push{Event: json.RawMessage(`{"hello":"bob"}`)}); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, bob); field(t, ev.Raw, "event") != `{"hello":"bob"}` {
		t.Fatalf("bob got %s", ev.Raw)
	}
	if err := h.gw.DeliverUser(bg, testApp, "alice", im.Push{Event: json.RawMessage(`{broken`)}); err == nil {
		t.Fatal("invalid JSON payload accepted")
	}
}

func mustPush(t *testing.T, h *harness, group, payload string) {
	t.Helper()
	if err := h.gw.DeliverRoom(bg, testApp, group, im.Push{Event: json.RawMessage(payload)}); err != nil {
		t.Fatal(err)
	}
}

// TestFanOutExactlyOnce puts 200 clients in one room and checks that each
// receives every group push once, in order.
func TestFanOutExactlyOnce(t *testing.T) {
	const n = 200
	h := newHarness(t, Config{})
	clients := make([]*client.Client, n)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			ctx := context.Background()
			c, err := client.Dial(ctx, h.srv.URL, testApp, fmt.Sprintf("viewer_%d", i), "good")
			if err == nil {
				err = c.JoinGroup(ctx, "av-live")
			}
			if err != nil {
				t.Errorf("viewer %d: %v", i, err)
				return
			}
			clients[i] = c
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Cleanup(func() {
		for _, c := range clients {
			_ = c.Close()
		}
	})
	if got := h.count("av-live"); got != n {
		t.Fatalf("count = %d, want %d", got, n)
	}
	// Enough pushes that later ones queue behind a fan-out in progress.
	const pushes = 20
	var want []string
	for i := 1; i <= pushes; i++ {
		want = append(want, fmt.Sprintf(`{"seq":%d}`, i))
		mustPush(t, h, "av-live", want[i-1])
	}
	var bad atomic.Int32
	for i, c := range clients {
		wg.Go(func() {
			var got []string
			for len(got) < pushes {
				ev, err := awaitEvent(c)
				if err != nil {
					t.Errorf("viewer %d: %v", i, err)
					bad.Add(1)
					return
				}
				var f struct{ Event json.RawMessage }
				_ = json.Unmarshal(ev.Raw, &f)
				got = append(got, string(f.Event))
			}
			if !slices.Equal(got, want) {
				t.Errorf("viewer %d received %v, want %v", i, got, want)
				bad.Add(1)
			}
		})
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d viewers did not receive each push exactly once", bad.Load())
	}
}
