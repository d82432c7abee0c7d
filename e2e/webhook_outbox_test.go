package e2e

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/store/pgtest"
)

// TestCallbacksSurviveKill9: after callbacks not delivered when chatd is
// killed (the app's server is blocking the first of each order key) are
// sent by the next chatd on the same store, each with the key it carried
// before (Idempotency-Key), in order per conversation and group, with
// the group messages' MsgSeq and the unread count filled in.
func TestCallbacksSurviveKill9(t *testing.T) {
	storeEngines(t, testCallbacksSurviveKill9)
}

func testCallbacksSurviveKill9(t *testing.T, storeArgs []string) {
	const sends = 5
	var open atomic.Bool
	release := make(chan struct{})
	defer close(release)
	var mu sync.Mutex
	held := map[string]string{} // the key of every request chatd made before the kill, by command and text
	app := newBackend(t, "", func(c callback) string {
		if !open.Load() {
			mu.Lock()
			held[c.Command+" "+c.text()] = c.Header.Get("Idempotency-Key")
			mu.Unlock()
			<-release // blocks the lane until the test ends
		}
		return ""
	}).start()
	// The longest timeout, so the requests in flight are still waiting
	// when chatd is killed: a timeout is a final failure, which deletes
	// the row.
	args := append(storeArgs, "--callback-url", app.url(), "--callback-timeout", "10s",
		"--callbacks", "C2C.CallbackAfterSendMsg,Group.CallbackAfterSendMsg,Group.CallbackAfterCreateGroup")
	data := t.TempDir()
	n := startTestApp(t, data, args...)
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"alice", "bob"}}))
	mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{"Owner_Account": "alice", "Type": "Public", "Name": "G",
		"GroupId": "kill9", "MemberList": []any{map[string]any{"Member_Account": "bob"}}}))
	body := func(s string) []any {
		return []any{map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": s}}}
	}
	seqs := map[string]string{} // MsgSeq by text
	var texts []string
	for i := range sends {
		text := fmt.Sprint(i)
		texts = append(texts, text)
		mustOK(t, n.rest("v4/openim/sendmsg", map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgRandom": i + 1,
			"MsgBody": body(text)}))
		r := mustOK(t, n.rest("v4/group_open_http_svc/send_group_msg", map[string]any{"GroupId": "kill9", "From_Account": "alice",
			"Random": i + 1, "MsgBody": body(text)}))
		seqs[text] = fmt.Sprint(r["MsgSeq"])
	}
	// Every action was answered, so its callback is stored; the app's
	// server has some in flight and chatd holds the rest.
	waitFor(t, 10*time.Second, "callbacks in flight", func() bool { mu.Lock(); defer mu.Unlock(); return len(held) > 0 })
	n.kill()

	open.Store(true)
	startTestApp(t, data, args...)
	got := map[string][]callback{}
	arrived := func(command, text string) bool {
		return slices.ContainsFunc(got[command], func(c callback) bool { return c.text() == text })
	}
	deadline := time.Now().Add(60 * time.Second) // the dead process's lease runs out first
	last := texts[sends-1]                       // last in its lane: never in flight before the kill
	for !arrived("C2C.CallbackAfterSendMsg", last) || !arrived("Group.CallbackAfterSendMsg", last) {
		if time.Now().After(deadline) {
			t.Fatalf("%d callbacks after the restart: %v", callbackCount(got), got)
		}
		app.mu.Lock()
		for _, c := range app.got {
			got[c.Command] = append(got[c.Command], c)
		}
		app.got = nil
		app.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	keys := map[string]bool{}
	for _, cs := range got {
		for _, c := range cs {
			k := c.Header.Get("Idempotency-Key")
			before, sentBefore := held[c.Command+" "+c.text()]
			if k == "" || keys[k] || sentBefore && before != k {
				t.Fatalf("%s: Idempotency-Key %q (before the kill %q), seen twice %v", c.Command, k, before, keys[k])
			}
			keys[k] = true
		}
	}
	// Each arrives, in order, but one the app's server had for longer
	// than the timeout before the kill (a final failure).
	expect := func(command string, all []string) []string {
		var out []string
		for _, text := range all {
			if _, tried := held[command+" "+text]; !tried || arrived(command, text) {
				out = append(out, text)
			}
		}
		return out
	}
	if cs := got["Group.CallbackAfterCreateGroup"]; len(cs) != len(expect("Group.CallbackAfterCreateGroup", []string{""})) ||
		len(cs) == 1 && cs[0].str("GroupId") != "kill9" {
		t.Fatalf("create group callbacks %v", cs)
	}
	var c2cTexts, groupTexts []string
	for _, c := range got["C2C.CallbackAfterSendMsg"] {
		c2cTexts = append(c2cTexts, c.text())
		if c.str("UnreadMsgNum") == "" || strings.HasPrefix(c.str("UnreadMsgNum"), "-9") {
			t.Fatalf("UnreadMsgNum not filled in: %s", c.Raw)
		}
	}
	for _, c := range got["Group.CallbackAfterSendMsg"] {
		groupTexts = append(groupTexts, c.text())
		if c.str("MsgSeq") != seqs[c.text()] {
			t.Fatalf("group message %s: MsgSeq %s, sent with %s", c.text(), c.str("MsgSeq"), seqs[c.text()])
		}
	}
	if want := expect("C2C.CallbackAfterSendMsg", texts); !slices.Equal(c2cTexts, want) {
		t.Fatalf("one-to-one callbacks after the restart %v, want %v", c2cTexts, want)
	}
	if want := expect("Group.CallbackAfterSendMsg", texts); !slices.Equal(groupTexts, want) {
		t.Fatalf("group callbacks after the restart %v, want %v", groupTexts, want)
	}
}

func callbackCount(m map[string][]callback) int {
	n := 0
	for _, cs := range m {
		n += len(cs)
	}
	return n
}

// TestCallbacksTwoNodesOneDatabase: two nodes on one PostgreSQL each send
// the after callbacks of their own actions, never the other's while it
// lives; when one is killed with callbacks unsent (the app's server
// blocking its requests), the other takes them over once its lease runs
// out and sends them, in order, with their keys.
func TestCallbacksTwoNodesOneDatabase(t *testing.T) {
	var open atomic.Bool
	release := make(chan struct{})
	defer close(release)
	var mu sync.Mutex
	held := map[string]string{} // text -> key of B's requests before the kill
	app := newBackend(t, "", func(c callback) string {
		if strings.HasPrefix(c.text(), "b") && !open.Load() {
			mu.Lock()
			held[c.text()] = c.Header.Get("Idempotency-Key")
			mu.Unlock()
			<-release
		}
		return ""
	}).start()
	// The longest timeout: node B's first request is still waiting for
	// its answer when B is killed (a timeout is a final failure, which
	// deletes the row).
	args := []string{"--store", pgtest.NewDatabase(t), "--callback-url", app.url(), "--callbacks", "C2C.CallbackAfterSendMsg",
		"--callback-timeout", "10s"}
	a := startTestApp(t, "", args...)
	b := startTestApp(t, "", args...)
	mustOK(t, a.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"alice", "bob"}}))
	send := func(n *node, from, to, text string, random int) {
		mustOK(t, n.rest("v4/openim/sendmsg", map[string]any{"From_Account": from, "To_Account": to, "MsgRandom": random,
			"MsgBody": []any{map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": text}}}}))
	}
	for i := range 5 {
		send(a, "alice", "bob", fmt.Sprint("a", i), i+1)
		send(b, "bob", "alice", fmt.Sprint("b", i), i+1)
	}
	texts := func() (out []string, keys map[string]int) {
		app.mu.Lock()
		defer app.mu.Unlock()
		keys = map[string]int{}
		for _, c := range app.got {
			out = append(out, c.text())
			keys[c.Header.Get("Idempotency-Key")]++
		}
		return out, keys
	}
	waitFor(t, 10*time.Second, "node A's callbacks", func() bool { got, _ := texts(); return len(got) == 5 })
	time.Sleep(4 * time.Second) // two lease rounds: A must leave B's rows alone
	if got, _ := texts(); !slices.Equal(got, []string{"a0", "a1", "a2", "a3", "a4"}) {
		t.Fatalf("while both nodes live: %v", got)
	}

	b.kill()
	open.Store(true)
	waitFor(t, 60*time.Second, "node B's callbacks, sent by node A", func() bool { got, _ := texts(); return slices.Contains(got, "b4") })
	got, keys := texts()
	// In order; one that node B's lane had in flight for longer than the
	// timeout before the kill failed for good, and may be missing.
	want := []string{"a0", "a1", "a2", "a3", "a4"}
	mu.Lock()
	for i := range 5 {
		text := fmt.Sprint("b", i)
		if _, tried := held[text]; !tried || slices.Contains(got, text) {
			want = append(want, text)
		}
	}
	mu.Unlock()
	if !slices.Equal(got, want) {
		t.Fatalf("after node B died: %v, want %v", got, want)
	}
	for k, n := range keys {
		if k == "" || n != 1 {
			t.Fatalf("Idempotency-Key %q sent %d times", k, n)
		}
	}
	app.mu.Lock()
	defer app.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	for _, c := range app.got {
		if k, ok := held[c.text()]; ok && k != c.Header.Get("Idempotency-Key") {
			t.Fatalf("%s: key %s after the take-over, %s before", c.text(), c.Header.Get("Idempotency-Key"), k)
		}
	}
}
