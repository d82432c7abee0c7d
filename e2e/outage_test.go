package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
)

// natsOutage is how long TestMessagesThroughNATSOutage keeps NATS down:
// the 30 s, far past the presence expiry and the reconnect backoff.
const natsOutage = 30 * time.Second

// receiver records what one client received: group messages by MsgSeq and
// one-to-one messages by MsgKey, each with how many times it came.
type receiver struct {
	name string
	c    *client.Client
	mu   sync.Mutex
	// group MsgSeq / one-to-one MsgKey -> times received
	group map[int64]int
	c2c   map[string]int
	// live records when each group message arrived, for the node's own
	// clients during the outage.
	at map[int64]time.Time
}

func receive(t *testing.T, name string, c *client.Client) *receiver {
	r := &receiver{name: name, c: c, group: map[int64]int{}, c2c: map[string]int{}, at: map[int64]time.Time{}}
	go func() {
		for e := range c.Events() {
			r.mu.Lock()
			if m, ok := e.GroupMessage(); ok {
				r.group[m.MsgSeq]++
				r.at[m.MsgSeq] = time.Now()
			}
			if m, ok := e.C2CMessage(); ok {
				r.c2c[m.MsgKey]++
			}
			r.mu.Unlock()
		}
	}()
	return r
}

// has reports whether r received every message listed, and fails the test
// on any received twice.
func (r *receiver) has(t *testing.T, seqs []int64, keys []string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for seq, n := range r.group {
		if n > 1 {
			t.Fatalf("%s received group message %d %d times", r.name, seq, n)
		}
	}
	for key, n := range r.c2c {
		if n > 1 {
			t.Fatalf("%s received one-to-one message %s %d times", r.name, key, n)
		}
	}
	for _, s := range seqs {
		if r.group[s] == 0 {
			return false
		}
	}
	for _, k := range keys {
		if r.c2c[k] == 0 {
			return false
		}
	}
	return true
}

// TestMessagesThroughNATSOutage: NATS is killed for 30 s under a two-node
// cluster while messages flow both ways, through REST and from clients,
// and restarted. A node's own clients keep receiving during the outage,
// and by the end every member's client has every acknowledged message
// exactly once (issue 17 point 2: pushes lost by the bus are fetched from
// the store through the sequence numbers and the resync after the bus
// reconnects).
func TestMessagesThroughNATSOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s outage")
	}
	c := newFaultCluster(t, 2, faultInterval)
	a, b := c.nodes[0], c.nodes[1]
	ctx := context.Background()
	mustOK(t, a.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"amy", "bo", "cy"}}))
	mustOK(t, a.rest("v4/group_open_http_svc/create_group", map[string]any{
		"Owner_Account": "amy", "Type": "Public", "GroupId": "through", "Name": "Through",
		"MemberList": []any{map[string]any{"Member_Account": "bo"}, map[string]any{"Member_Account": "cy"}},
	}))
	amy, bo, cy := dialUser(t, a, "amy"), dialUser(t, b, "bo"), dialUser(t, b, "cy")
	receivers := []*receiver{receive(t, "amy@A", amy), receive(t, "bo@B", bo), receive(t, "cy@B", cy)}

	var mu sync.Mutex
	var seqs []int64  // acknowledged group messages
	var toBo []string // acknowledged one-to-one messages from amy to bo
	// amy's own group messages sent while NATS was down, by send time.
	duringOutage := map[int64]time.Time{}
	var outage bool
	acked := func(seq int64, own bool) {
		mu.Lock()
		defer mu.Unlock()
		seqs = append(seqs, seq)
		if own && outage {
			duringOutage[seq] = time.Now()
		}
	}
	restSend := func(n *node, from string, i int) error {
		reply, err := n.tryRestAs(testAppID, testAdmin, adminSig(), "v4/group_open_http_svc/send_group_msg", map[string]any{
			"GroupId": "through", "From_Account": from, "Random": i, "MsgBody": text(fmt.Sprint(from, " via rest ", i))})
		if err != nil {
			return err
		}
		if reply["ErrorCode"] != float64(0) {
			return fmt.Errorf("send_group_msg: %v", reply)
		}
		acked(int64(reply["MsgSeq"].(float64)), false)
		return nil
	}
	// Group messages through REST on both nodes and from a client on
	// each; one-to-one messages from amy (node A) to bo (node B).
	senders := []func(i int) error{
		func(i int) error { return restSend(a, "amy", i) },
		func(i int) error { return restSend(b, "cy", i) },
		func(i int) error {
			s, err := amy.SendGroup(ctx, "through", text(fmt.Sprint("amy ", i)))
			if err == nil {
				acked(s.MsgSeq, true)
			}
			return err
		},
		func(i int) error {
			s, err := bo.SendGroup(ctx, "through", text(fmt.Sprint("bo ", i)))
			if err == nil {
				acked(s.MsgSeq, false)
			}
			return err
		},
		func(i int) error {
			s, err := amy.SendC2C(ctx, "bo", text(fmt.Sprint("to bo ", i)))
			if err == nil {
				mu.Lock()
				toBo = append(toBo, s.MsgKey)
				mu.Unlock()
			}
			return err
		},
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, send := range senders {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
				if err := send(i); err != nil {
					t.Errorf("send: %v", err)
					return
				}
			}
		})
	}

	time.Sleep(2 * time.Second)
	c.nats.kill()
	mu.Lock()
	outage = true
	mu.Unlock()
	time.Sleep(natsOutage)
	mu.Lock()
	outage = false
	mu.Unlock()
	c.nats.start()
	waitFor(t, 10*time.Second, "both nodes to reconnect", func() bool {
		return a.readyz() == http.StatusOK && b.readyz() == http.StatusOK
	})
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("%d group and %d one-to-one messages acknowledged, %d of amy's during the outage", len(seqs), len(toBo), len(duringOutage))

	// A node's own clients kept receiving during the outage: amy's client
	// got her messages at once, not when NATS came back.
	amyRx := receivers[0]
	amyRx.mu.Lock()
	late := 0
	for seq, sent := range duringOutage {
		if at, ok := amyRx.at[seq]; !ok || at.Sub(sent) > 2*time.Second {
			late++
		}
	}
	amyRx.mu.Unlock()
	if len(duringOutage) == 0 || late > 0 {
		t.Errorf("%d of amy's %d messages sent during the outage reached her own node's client late or not at all", late, len(duringOutage))
	}
	for _, r := range receivers {
		keys := toBo
		if r.name != "bo@B" && r.name != "amy@A" {
			keys = nil
		}
		waitFor(t, 30*time.Second, r.name+" to have every acknowledged message", func() bool { return r.has(t, seqs, keys) })
	}
	time.Sleep(time.Second)
	for _, r := range receivers {
		r.has(t, seqs, nil) // nothing came twice meanwhile
	}
}
