package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
)

// joinAs logs userID in on n and joins the room.
func joinAs(t *testing.T, n *node, userID, room string) *client.Client {
	t.Helper()
	c := dialUser(t, n, userID)
	if err := c.JoinGroup(context.Background(), room); err != nil {
		t.Fatalf("%s joins %s: %v", userID, room, err)
	}
	return c
}

// members lists the room's members on n, every page, by UserID.
func members(t *testing.T, n *node, room string) map[string]int {
	t.Helper()
	out := map[string]int{}
	cursor := 0.0
	for {
		reply := mustOK(t, n.rest("v4/group_open_avchatroom_http_svc/get_members", map[string]any{"GroupId": room, "Timestamp": cursor}))
		for _, m := range reply["MemberList"].([]any) {
			out[m.(map[string]any)["Member_Account"].(string)]++
		}
		if cursor = reply["NextTimestamp"].(float64); cursor == 0 {
			return out
		}
	}
}

// wantListed fails unless every node lists count members in the room,
// each of once exactly once.
func wantListed(t *testing.T, nodes []*node, room string, count int, once ...string) {
	t.Helper()
	for i, n := range nodes {
		got := members(t, n, room)
		ok := len(got) == count
		for _, u := range once {
			ok = ok && got[u] == 1
		}
		if !ok {
			t.Fatalf("node %d lists %v, want %d members with %v once", i, got, count, once)
		}
	}
}

// waitCountEverywhere waits until every node counts want in the room.
func waitCountEverywhere(t *testing.T, nodes []*node, room string, want int, within time.Duration, what string) {
	t.Helper()
	waitFor(t, within, what, func() bool {
		for _, n := range nodes {
			if onlineNum(t, n, room) != want {
				return false
			}
		}
		return true
	})
}

// TestClusterCountsUsersOnce is issue 15's scenario on three chatd
// processes over PostgreSQL and NATS: a user with a device on each of two
// nodes counts once on every node and is listed once, until both devices
// leave; after kill -9 of a node and after a NATS restart longer than the
// expiry, the counts converge, with nobody counted twice.
func TestClusterCountsUsersOnce(t *testing.T) {
	c := newFaultCluster(t, 3, faultInterval)
	a, b, third := c.nodes[0], c.nodes[1], c.nodes[2]
	all := c.nodes
	for _, room := range []string{"duo", "crowd"} {
		mustOK(t, a.rest("v4/group_open_http_svc/create_group", map[string]any{"Type": "AVChatRoom", "GroupId": room, "Name": room}))
	}

	phone := joinAs(t, a, "dual", "duo")
	laptop := joinAs(t, b, "dual", "duo")
	waitCountEverywhere(t, all, "duo", 1, countBound, "the user on two nodes to count 1 everywhere")
	wantListed(t, all, "duo", 1, "dual")
	_ = phone.Close()
	// Still online through B: the count must stay 1 across a few intervals.
	time.Sleep(3 * faultInterval)
	for i, n := range all {
		if got := onlineNum(t, n, "duo"); got != 1 {
			t.Fatalf("one device left: node %d counts %d, want 1", i, got)
		}
	}
	_ = laptop.Close()
	waitCountEverywhere(t, all, "duo", 0, countBound, "the count to fall to 0 when both devices left")

	// A crowd over the three nodes, two users on two nodes each.
	dialViewers(t, a, "crowd", "a_", 4)
	dialViewers(t, b, "crowd", "b_", 3)
	dialViewers(t, third, "crowd", "c_", 2)
	joinAs(t, a, "both_ab", "crowd")
	joinAs(t, b, "both_ab", "crowd")
	joinAs(t, a, "both_ac", "crowd")
	joinAs(t, third, "both_ac", "crowd")
	waitCountEverywhere(t, all, "crowd", 11, countBound, "the crowd to count 11 everywhere")

	// kill -9 of the third node: its own two users go, both_ac stays (on A).
	third.kill()
	survivors := []*node{a, b}
	converge := 3*faultInterval + faultInterval + 5*time.Second // as TestCluster's deathBound
	start := time.Now()
	waitCountEverywhere(t, survivors, "crowd", 9, converge, "the counts to converge after kill -9")
	t.Logf("counts converged %v after kill -9", time.Since(start))
	wantListed(t, survivors, "crowd", 9, "both_ac", "both_ab")

	// NATS down for longer than the expiry: each node counts its own.
	c.nats.kill()
	waitFor(t, converge, "A to count only its own users", func() bool { return onlineNum(t, a, "crowd") == 6 })
	waitFor(t, converge, "B to count only its own users", func() bool { return onlineNum(t, b, "crowd") == 4 })
	// Meanwhile one of A's users also joins on B, one of B's leaves: the
	// others hear of neither until NATS is back.
	joinAs(t, b, "a_0000", "crowd")
	bye := joinAs(t, b, "leaver", "crowd")
	_ = bye.Close()
	c.nats.start()
	back := time.Now()
	waitCountEverywhere(t, survivors, "crowd", 9, converge, "the counts to converge after NATS returned")
	t.Logf("counts converged %v after NATS returned", time.Since(back))
	wantListed(t, survivors, "crowd", 9, "a_0000", "both_ab", "both_ac")
}
