package e2e

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCallbacksSurviveKill9: after callbacks not delivered when chatd is
// killed (the app's server is blocking on the first of each order key)
// are sent by the next chatd on the same store, each with the key it
// carried before (Idempotency-Key), in order per conversation and group,
// with the group messages' MsgSeq; and each one once it is answered.
func TestCallbacksSurviveKill9(t *testing.T) {
	storeEngines(t, testCallbacksSurviveKill9)
}

func testCallbacksSurviveKill9(t *testing.T, storeArgs []string) {
	const sends = 5
	var open atomic.Bool
	release := make(chan struct{})
	defer close(release)
	var mu sync.Mutex
	held := map[string]string{} // the key of every request chatd made before the kill, by body
	app := newBackend(t, "", func(c callback) string {
		if !open.Load() {
			mu.Lock()
			held[c.Raw] = c.Header.Get("Idempotency-Key")
			mu.Unlock()
			<-release // blocks the lane until the test ends
		}
		return ""
	}).start()
	args := append(storeArgs, "--callback-url", app.url(),
		"--callbacks", "C2C.CallbackAfterSendMsg,Group.CallbackAfterSendMsg,Group.CallbackAfterCreateGroup")
	data := t.TempDir()
	n := startTestApp(t, data, args...)
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"alice", "bob"}}))
	mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{"Owner_Account": "alice", "Type": "Public", "Name": "G",
		"GroupId": "kill9", "MemberList": []any{map[string]any{"Member_Account": "bob"}}}))
	body := func(s string) []any {
		return []any{map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": s}}}
	}
	var seqs []string
	for i := range sends {
		mustOK(t, n.rest("v4/openim/sendmsg", map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgRandom": i + 1,
			"MsgBody": body(fmt.Sprint(i))}))
		r := mustOK(t, n.rest("v4/group_open_http_svc/send_group_msg", map[string]any{"GroupId": "kill9", "From_Account": "alice",
			"Random": i + 1, "MsgBody": body(fmt.Sprint(i))}))
		seqs = append(seqs, fmt.Sprint(r["MsgSeq"]))
	}
	// Every action was answered, so its callback is stored; the app's
	// server has some in flight and chatd holds the rest.
	waitFor(t, 10*time.Second, "callbacks in flight", func() bool { mu.Lock(); defer mu.Unlock(); return len(held) > 0 })
	n.kill()

	open.Store(true)
	startTestApp(t, data, args...)
	got := map[string][]callback{}
	deadline := time.Now().Add(60 * time.Second) // the dead process's lease runs out first
	for want := 2*sends + 1; callbackCount(got) < want; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d callbacks after the restart: %v", callbackCount(got), want, got)
		}
		app.mu.Lock()
		for _, c := range app.got {
			got[c.Command] = append(got[c.Command], c)
		}
		app.got = nil
		app.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	keys := map[string]bool{}
	for _, cs := range got {
		for _, c := range cs {
			k := c.Header.Get("Idempotency-Key")
			mu.Lock()
			before, sentBefore := held[c.Raw]
			mu.Unlock()
			if k == "" || keys[k] || sentBefore && before != k {
				t.Fatalf("%s: Idempotency-Key %q (before the kill %q), seen twice %v", c.Command, k, before, keys[k])
			}
			keys[k] = true
		}
	}
	if cs := got["Group.CallbackAfterCreateGroup"]; len(cs) != 1 || cs[0].str("GroupId") != "kill9" {
		t.Fatalf("create group callbacks %v", cs)
	}
	var c2cTexts, groupTexts, groupSeqs []string
	for _, c := range got["C2C.CallbackAfterSendMsg"] {
		c2cTexts = append(c2cTexts, c.text())
		if c.str("UnreadMsgNum") == "" || strings.HasPrefix(c.str("UnreadMsgNum"), "-9") {
			t.Fatalf("UnreadMsgNum not filled in: %s", c.Raw)
		}
	}
	for _, c := range got["Group.CallbackAfterSendMsg"] {
		groupTexts, groupSeqs = append(groupTexts, c.text()), append(groupSeqs, c.str("MsgSeq"))
	}
	in := []string{"0", "1", "2", "3", "4"}
	if !slices.Equal(c2cTexts, in) || !slices.Equal(groupTexts, in) || !slices.Equal(groupSeqs, seqs) {
		t.Fatalf("after the restart: one-to-one %v, group %v with MsgSeq %v (sent with %v)", c2cTexts, groupTexts, groupSeqs, seqs)
	}
}

func callbackCount(m map[string][]callback) int {
	n := 0
	for _, cs := range m {
		n += len(cs)
	}
	return n
}
