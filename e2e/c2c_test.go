package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
)

// nextEvent waits for the next application event of the given Type on c,
// skipping others.
func nextEvent(t *testing.T, c *client.Client, typ string) client.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, open := <-c.Events():
			if !open {
				t.Fatalf("connection closed before a %s event: %v", typ, c.Err())
			}
			if e.Op == "push" && e.Type == typ {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event within 10 s", typ)
		}
	}
}

// texts collects the text of the next n one-to-one messages on c.
func texts(t *testing.T, c *client.Client, n int) []string {
	t.Helper()
	var out []string
	for range n {
		m, _ := nextEvent(t, c, client.TypeC2CMsg).C2CMessage()
		out = append(out, string(m.MsgBody[0].MsgContent))
	}
	return out
}

// quiet checks that no further message arrives on c for a moment (a
// duplicate would); other events, such as the group's own, may.
func quiet(t *testing.T, c *client.Client) {
	t.Helper()
	timeout := time.After(300 * time.Millisecond)
	for {
		select {
		case e := <-c.Events():
			if e.Type == client.TypeC2CMsg || e.Type == client.TypeGroupMsg {
				t.Fatalf("unexpected message %s", e.Raw)
			}
		case <-timeout:
			return
		}
	}
}

func text(s string) []client.MsgElem { return []client.MsgElem{client.Text(s)} }

// TestOneToOneMessages: a client's message reaches every device of the
// recipient and the sender's other devices, once; a device that was
// offline gets exactly what it missed, in order, when it comes back with
// its saved state, including what was acknowledged before a kill -9.
func TestOneToOneMessages(t *testing.T) {
	storeEngines(t, testOneToOneMessages)
}

func testOneToOneMessages(t *testing.T, storeArgs []string) {
	data := t.TempDir()
	n := startTestApp(t, data, storeArgs...)
	ctx := context.Background()
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"alice", "bob"}}))

	alice, alicePad := dialUser(t, n, "alice"), dialUser(t, n, "alice")
	bob, bobPad := dialUser(t, n, "bob"), dialUser(t, n, "bob")
	sent, err := alice.SendC2C(ctx, "bob", text("hi bob"), client.WithCloudCustomData("cd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{bob, bobPad, alice, alicePad} {
		e := nextEvent(t, c, client.TypeC2CMsg)
		m, _ := e.C2CMessage()
		if m.From != "alice" || m.To != "bob" || m.MsgKey != sent.MsgKey || m.CloudCustomData != "cd" || e.Seq == 0 {
			t.Fatalf("event %s does not describe %+v", e.Raw, sent)
		}
	}
	for _, c := range []*client.Client{alice, bob, bobPad, alicePad} {
		quiet(t, c)
	}
	if _, err := alice.SendC2C(ctx, "nobody", text("x")); codeOf(err) != 90012 {
		t.Fatalf("to an unknown user: %v, want 90012", err)
	}

	// Bob goes offline; messages arrive from a client and from REST, one
	// is recalled, one modified, and his backend marks the conversation
	// read: all acknowledged before a kill -9.
	state := bob.State()
	_ = bob.Close()
	_ = bobPad.Close()
	var keys []string
	for i := range 3 {
		sent, err := alice.SendC2C(ctx, "bob", text(fmt.Sprint("while away ", i)))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, sent.MsgKey)
		texts(t, alice, 1)
	}
	mustOK(t, n.rest("v4/openim/sendmsg", map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgRandom": 7,
		"MsgBody": text("from the backend")}))
	if err := alice.RecallC2C(ctx, "bob", keys[1]); err != nil {
		t.Fatal(err)
	}
	mustOK(t, n.rest("v4/openim/modify_c2c_msg", map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgKey": keys[2],
		"MsgBody": text("edited")}))
	mustOK(t, n.rest("v4/openim/admin_set_msg_read", map[string]any{"Report_Account": "bob", "Peer_Account": "alice"}))
	if r, _ := nextEvent(t, alice, client.TypeC2CRead).C2CRead(); r.Reader != "bob" || r.C2CUnreadMsgNum != nil {
		t.Fatalf("alice's read receipt %+v", r)
	}
	n.kill()
	n = startTestApp(t, data, storeArgs...)

	back, err := client.Dial(ctx, n.BaseURL, testAppID, "bob", userSig("bob"), client.WithSyncState(state))
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	want := []string{
		`C2CMsg {"Text":"while away 0"}`,
		`C2CMsg recalled`, // its entry says so now: the content is gone
		`C2CMsg {"Text":"edited"}`,
		`C2CMsg {"Text":"from the backend"}`,
		"C2CMsgRecalled " + keys[1],
		"C2CMsgModified " + keys[2] + ` {"Text":"edited"}`,
		"C2CRead bob alice unread 0",
	}
	if got := summaries(t, back, len(want)); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after coming back:\n%q\nwant\n%q", got, want)
	}
	quiet(t, back)
}

// summaries describes the next n application events on c in a line each.
func summaries(t *testing.T, c *client.Client, n int) []string {
	t.Helper()
	var out []string
	for len(out) < n {
		select {
		case e, open := <-c.Events():
			if !open {
				t.Fatalf("connection closed: %v", c.Err())
			}
			if e.Op == "push" {
				out = append(out, summary(e))
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d events within 10 s, want %d: %q", len(out), n, out)
		}
	}
	return out
}

// summary is one line about an event.
func summary(e client.Event) string {
	if m, ok := e.C2CMessage(); ok {
		var flags struct{ MsgFlagBits int }
		_ = json.Unmarshal(e.Data, &flags)
		if flags.MsgFlagBits == 8 && len(m.MsgBody) == 0 {
			return "C2CMsg recalled"
		}
		return "C2CMsg " + string(m.MsgBody[0].MsgContent)
	}
	if r, ok := e.C2CMsgRecalled(); ok {
		return "C2CMsgRecalled " + r.MsgKey
	}
	if m, ok := e.C2CMsgModified(); ok {
		return "C2CMsgModified " + m.MsgKey + " " + string(m.MsgBody[0].MsgContent)
	}
	if r, ok := e.C2CRead(); ok {
		s := "C2CRead " + r.Reader + " " + r.Peer
		if r.C2CUnreadMsgNum != nil {
			s += fmt.Sprint(" unread ", *r.C2CUnreadMsgNum)
		}
		return s
	}
	return e.Type
}

// TestMessagesAcrossNodes: clients on two nodes of one cluster exchange
// one-to-one and group messages; each connection receives each message
// exactly once.
func TestMessagesAcrossNodes(t *testing.T) {
	c := newFaultCluster(t, 2, 500*time.Millisecond)
	a, b := c.nodes[0], c.nodes[1]
	ctx := context.Background()
	mustOK(t, a.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"ana", "ben"}}))
	mustOK(t, a.rest("v4/group_open_http_svc/create_group", map[string]any{
		"Owner_Account": "ana", "Type": "Public", "GroupId": "x-node", "Name": "X",
		"MemberList": []any{map[string]any{"Member_Account": "ben"}},
	}))
	ana := dialUser(t, a, "ana")
	benA, benB := dialUser(t, a, "ben"), dialUser(t, b, "ben")

	if _, err := ana.SendC2C(ctx, "ben", text("to both devices")); err != nil {
		t.Fatal(err)
	}
	for _, ben := range []*client.Client{ana, benA, benB} {
		if got := texts(t, ben, 1); got[0] != `{"Text":"to both devices"}` {
			t.Fatalf("ben got %v", got)
		}
	}
	sent, err := benB.SendGroup(ctx, "x-node", text("to the group"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{ana, benA, benB} {
		e := nextEvent(t, c, client.TypeGroupMsg)
		if m, _ := e.GroupMessage(); m.MsgSeq != sent.MsgSeq || m.From != "ben" || e.GroupID != "x-node" {
			t.Fatalf("group event %s, sent %+v", e.Raw, sent)
		}
	}
	for _, c := range []*client.Client{ana, benA, benB} {
		quiet(t, c)
	}
}

// codeOf is the server's code of a refused request, 0 for none.
func codeOf(err error) int {
	var e *client.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}
