package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
)

// TestConversations: the list kept by traffic, seen from a device; pins,
// reads, deletions, conversation groups and marks reach the user's other
// device (from a device and from REST); a restart keeps all of it.
func TestConversations(t *testing.T) {
	storeEngines(t, testConversations)
}

// convList reads c's whole list as "name/unread" with "+" for a pinned one.
func convList(t *testing.T, c *client.Client) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	var cursor client.ConvCursor
	for {
		page, err := c.Conversations(ctx, cursor, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, cv := range page.Conversations {
			name := cv.Peer + cv.GroupID
			if cv.TopFlag == 1 {
				name += "+"
			}
			out = append(out, fmt.Sprintf("%s/%d", name, cv.Unread))
		}
		next, more := page.Next()
		if !more {
			return out
		}
		cursor = next
	}
}

func testConversations(t *testing.T, storeArgs []string) {
	n := startTestApp(t, "", storeArgs...)
	ctx := context.Background()
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"alice", "bob", "carol"}}))
	mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{"Owner_Account": "alice", "Type": "Public", "GroupId": "team",
		"Name": "Team", "MemberList": []map[string]any{{"Member_Account": "bob"}}}))
	bob, bobPad := dialUser(t, n, "bob"), dialUser(t, n, "bob")
	send := func(from, to, what string, random int) float64 {
		reply := mustOK(t, n.rest("v4/openim/sendmsg", map[string]any{"From_Account": from, "To_Account": to, "MsgRandom": random, "MsgBody": text(what)}))
		return reply["MsgTime"].(float64)
	}
	send("alice", "bob", "one", 1)
	aliceAt := send("alice", "bob", "two", 2)
	carolAt := send("carol", "bob", "hey", 3)
	teamAt := mustOK(t, n.rest("v4/group_open_http_svc/send_group_msg", map[string]any{"GroupId": "team", "From_Account": "alice", "Random": 4, "MsgBody": text("all")}))["MsgTime"].(float64)
	texts(t, bob, 3)
	// Newest first; within one second the group comes after the one-to-one
	// ones, which go by peer, descending. The sends usually share a second;
	// when they cross into the next one, the later ones come first.
	want := "[carol/1 alice/2 team/1]"
	switch {
	case aliceAt < carolAt && carolAt == teamAt:
		want = "[carol/1 team/1 alice/2]"
	case carolAt < teamAt:
		want = "[team/1 carol/1 alice/2]"
	}
	if got := fmt.Sprint(convList(t, bob)); got != want {
		t.Fatalf("bob's list %s, want %s (message times: alice %v, carol %v, team %v)", got, want, aliceAt, carolAt, teamAt)
	}
	changed := func(what, action string, devices ...*client.Client) *client.ConversationChange {
		t.Helper()
		var ch *client.ConversationChange
		for _, d := range devices {
			// The acting device gets its own changes too: those before are
			// skipped.
			for ch, _ = nextEvent(t, d, client.TypeConversationChanged).ConversationChanged(); ch.Action != action && d == bob; {
				ch, _ = nextEvent(t, d, client.TypeConversationChanged).ConversationChanged()
			}
			if ch.Action != action {
				t.Fatalf("%s: event %+v, want action %s", what, ch, action)
			}
		}
		return ch
	}

	if err := bob.PinConversation(ctx, client.C2CConv("alice"), true); err != nil {
		t.Fatal(err)
	}
	if ch := changed("pin", client.ConvActionPin, bobPad); len(ch.Conversations) != 1 || ch.Conversations[0].Peer != "alice" {
		t.Errorf("pin event %+v", ch)
	}
	if err := bob.ReadConversation(ctx, client.C2CConv("alice")); err != nil {
		t.Fatal(err)
	}
	changed("read", client.ConvActionRead, bobPad)
	if err := bob.ReadConversation(ctx, client.GroupConv("team")); err != nil {
		t.Fatal(err)
	}
	changed("group read", client.ConvActionRead, bobPad)
	if got := fmt.Sprint(convList(t, bobPad)); got != "[alice+/0 carol/1 team/0]" {
		t.Errorf("after the pin and reads: %s", got)
	}
	if total := n.rest("v4/openim/get_c2c_unread_msg_num", map[string]any{"To_Account": "bob"})["AllC2CUnreadMsgNum"]; fmt.Sprint(total) != "1" {
		t.Errorf("REST unread total %v, want 1", total)
	}

	if err := bob.DeleteConversation(ctx, client.C2CConv("carol"), false); err != nil {
		t.Fatal(err)
	}
	changed("delete", client.ConvActionDelete, bobPad)
	mustOK(t, n.rest("v4/recentcontact/delete", map[string]any{"From_Account": "bob", "Type": 2, "ToGroupid": "team"}))
	changed("delete by REST", client.ConvActionDelete, bob, bobPad)
	if got := fmt.Sprint(convList(t, bob)); got != "[alice+/0]" {
		t.Errorf("after the deletes: %s", got)
	}

	tctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	id, err := bob.CreateConversationGroup(tctx, "work", client.C2CConv("alice"))
	if err != nil {
		t.Fatal(err)
	}
	if ch := changed("contact group", client.ConvActionContactGroup, bobPad); ch.GroupID != id || ch.GroupName != "work" {
		t.Errorf("contact group event %+v", ch)
	}
	vip := "vip"
	if err := bob.MarkConversations(ctx, client.ConvMark{Conv: client.C2CConv("alice"), Set: []int{1}, Custom: &vip}); err != nil {
		t.Fatal(err)
	}
	changed("mark", client.ConvActionMark, bobPad)
	mustOK(t, n.rest("v4/recentcontact/mark_contact", map[string]any{"From_Account": "bob", "MarkItem": []map[string]any{
		{"OptType": 1, "ContactItem": map[string]any{"Type": 1, "To_Account": "carol"}, "SetMark": []int{2}}}}))
	changed("mark by REST", client.ConvActionMark, bob, bobPad)
	send("carol", "bob", "again", 5)
	if err := bob.ReadAllConversations(ctx); err != nil {
		t.Fatal(err)
	}
	if ch := changed("read all", client.ConvActionRead, bobPad); ch.All != 1 {
		t.Errorf("read all event %+v", ch)
	}
	before := fmt.Sprint(convList(t, bob))
	if before != "[alice+/0 carol/0]" {
		t.Errorf("after read all: %s", before)
	}
	groups := func(c *client.Client) string {
		page, err := c.ConversationGroups(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%+v", *page)
	}
	data := groups(bob)

	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	again := startTestApp(t, n.Data, storeArgs...)
	bob = dialUser(t, again, "bob")
	if got := fmt.Sprint(convList(t, bob)); got != before {
		t.Errorf("after a restart: %s, want %s", got, before)
	}
	if got := groups(bob); got != data {
		t.Errorf("groups after a restart: %s, want %s", got, data)
	}
}
