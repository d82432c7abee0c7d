package gateway

import (
	"context"
	"flag"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
)

// stressRounds is how many flood rounds TestRoomCountUnderFlood runs. The
// default keeps go test quick; hunt races with many more under -race:
//
//	go test -race -run TestRoomCountUnderFlood -count=20 ./internal/gateway -stress.rounds=50
var stressRounds = flag.Int("stress.rounds", 3, "flood rounds of TestRoomCountUnderFlood")

// reader is a client in the flooded room whose pushes are counted.
type reader struct {
	user   string
	c      *client.Client
	pushes atomic.Int64
}

// dialReader logs user in, joins room and counts its pushes until the
// connection ends. A slow reader never consumes its events: the client
// stops reading its socket, and the server's send buffer for it is made
// tiny, so the server cuts it once SendQueue frames wait.
func (h *harness) dialReader(user, room string, slow bool) *reader {
	h.t.Helper()
	r := &reader{user: user}
	if slow {
		r.c = h.dial(user, client.WithEventBuffer(1))
		h.shrinkSendBuffer(user)
	} else {
		r.c = h.dial(user)
		go func() {
			for ev := range r.c.Events() {
				if ev.Op == "push" {
					r.pushes.Add(1)
				}
			}
		}()
	}
	h.join(r.c, room)
	return r
}

// shrinkSendBuffer makes the kernel buffer of the user's sockets small, so
// a reader that stops reading fills it at once.
func (h *harness) shrinkSendBuffer(user string) {
	h.t.Helper()
	h.gw.mu.Lock()
	defer h.gw.mu.Unlock()
	for _, c := range h.gw.users[userKey{testApp, user}].conns {
		if err := c.nc.(*net.TCPConn).SetWriteBuffer(4 << 10); err != nil {
			h.t.Fatal(err)
		}
	}
}

// cut reports whether the reader's connection ended.
func (r *reader) cut() bool {
	select {
	case <-r.c.Done():
		return true
	default:
		return false
	}
}

// gone reports whether the server dropped every connection of the user. A
// slow reader's client cannot tell it was cut: its read loop waits on the
// full event buffer, not on the socket.
func (h *harness) gone(user string) bool { return h.gw.Platforms(testApp, user) == nil }

// TestRoomCountUnderFlood floods a live room while slow readers are cut
// and other users join and quit, and holds the room's online count (what
// get_online_member_num answers) to the truth: during the flood it never
// leaves the range the truth can be in, and after every step it is the
// truth exactly, as is the member listing.
func TestRoomCountUnderFlood(t *testing.T) {
	const (
		room       = "av-flood"
		burst      = 25 // pushes between two checks that fast readers keep up
		maxBursts  = 400
		payloadLen = 2 << 10
	)
	h := newHarness(t, Config{SendQueue: 8})
	payload := fmt.Sprintf(`{"pad":%q}`, strings.Repeat("x", payloadLen))
	var fast []*reader
	for i := range 8 {
		fast = append(fast, h.dialReader(fmt.Sprintf("fast-%d", i), room, false))
	}
	next := len(fast)
	sent := int64(0)

	truth := func() []string {
		var users []string
		for _, r := range fast {
			users = append(users, r.user)
		}
		slices.Sort(users)
		return users
	}
	// settled waits until count and listing are exactly the fast readers.
	settled := func(step string) {
		t.Helper()
		want := truth()
		waitFor(t, fmt.Sprintf("%s: the count to be %d", step, len(want)), func() bool { return h.count(room) == len(want) })
		members, _ := h.tracker.Members(testApp, room, 0, 0, 0)
		var got []string
		for _, m := range members {
			got = append(got, m.UserID)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: members %v, want %v", step, got, want)
		}
	}
	settled("start")

	for round := range *stressRounds {
		var slow []*reader
		for i := range 2 {
			slow = append(slow, h.dialReader(fmt.Sprintf("slow-%d-%d", round, i), room, true))
		}

		// Churn: users join and quit the room, or drop their connection,
		// while the flood runs.
		stop := make(chan struct{})
		var churnWG sync.WaitGroup
		var churnErr atomic.Value
		for i := range 3 {
			churnWG.Add(1)
			go func() {
				defer churnWG.Done()
				for j := 0; ; j++ {
					select {
					case <-stop:
						return
					default:
					}
					ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
					c, err := client.Dial(ctx, h.srv.URL, testApp, fmt.Sprintf("churn-%d-%d-%d", round, i, j), "good")
					if err == nil {
						go func() {
							for range c.Events() {
							}
						}()
						err = c.JoinGroup(ctx, room)
						if err == nil && j%2 == 0 {
							err = c.QuitGroup(ctx, room)
						}
						_ = c.Close() // odd rounds leave by closing
					}
					cancel()
					if err != nil {
						churnErr.Store(err)
						return
					}
				}
			}()
		}

		// The sampler checks the count against what the truth can be while
		// everything moves: every fast reader stays in the room, and
		// nobody else is in it but the slow readers and churners.
		var sampleErr atomic.Value
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			lo, hi := len(fast), len(fast)+len(slow)+3
			for {
				select {
				case <-stop:
					return
				default:
				}
				if n := h.count(room); n < lo || n > hi {
					sampleErr.Store(fmt.Errorf("round %d: count %d outside [%d, %d] during the flood", round, n, lo, hi))
					return
				}
				time.Sleep(100 * time.Microsecond)
			}
		}()

		for b := 0; !h.gone(slow[0].user) || !h.gone(slow[1].user); b++ {
			if b == maxBursts {
				t.Fatalf("round %d: slow readers not cut after %d pushes", round, sent)
			}
			for range burst {
				mustPush(t, h, room, payload)
			}
			sent += burst
			for _, r := range fast {
				waitFor(t, fmt.Sprintf("round %d: %s to get %d pushes", round, r.user, sent), func() bool {
					return r.pushes.Load() == sent || r.cut()
				})
				if r.cut() {
					t.Fatalf("round %d: fast reader %s was cut: %v", round, r.user, r.c.Err())
				}
			}
		}
		for _, r := range slow { // the client now reads what waited, then the end
			go func() {
				for range r.c.Events() {
				}
			}()
			if code := waitDone(t, r.c); code != 0 {
				t.Fatalf("round %d: slow reader closed with status %d, want a cut", round, code)
			}
		}
		close(stop)
		churnWG.Wait()
		<-sampled
		if err, _ := sampleErr.Load().(error); err != nil {
			t.Fatal(err)
		}
		if err, _ := churnErr.Load().(error); err != nil {
			t.Fatalf("round %d: churn: %v", round, err)
		}
		settled(fmt.Sprintf("round %d after the flood", round))

		// Between floods a fast reader quits, another closes its
		// connection, and a new one comes.
		quitter := fast[0]
		if err := quitter.c.QuitGroup(context.Background(), room); err != nil {
			t.Fatal(err)
		}
		fast = fast[1:]
		if n, want := h.count(room), len(fast); n != want { // quitting is counted before the reply
			t.Fatalf("round %d: count %d right after a quit, want %d", round, n, want)
		}
		_ = quitter.c.Close()
		_ = fast[0].c.Close()
		fast = fast[1:]
		settled(fmt.Sprintf("round %d after a close", round))
		for range 2 {
			fast = append(fast, h.dialReader(fmt.Sprintf("fast-%d", next), room, false))
			next++
		}
		for _, r := range fast {
			r.pushes.Store(0)
		}
		sent = 0
		settled(fmt.Sprintf("round %d after new readers joined", round))
	}
}
