package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
	"github.com/chatd/chatd/internal/store/pgtest"
)

// natsURL is the local NATS server the cluster tests share.
const natsURL = "nats://127.0.0.1:4222"

// TestCluster is the scale-out scenario: two nodes on one PostgreSQL
// database and one NATS, clients spread over both.
func TestCluster(t *testing.T) {
	const interval = 500 * time.Millisecond
	// A dead node stops counting after 3 intervals; allow one more interval
	// for the survivor to notice, plus slack for a loaded CI machine.
	const deathBound = 3*interval + interval + 5*time.Second

	prefix := make([]byte, 6)
	_, _ = rand.Read(prefix)
	args := []string{
		"--store", pgtest.NewDatabase(t),
		"--bus", natsURL, "--bus-prefix", "chatd_test_" + hex.EncodeToString(prefix),
		"--presence-interval", interval.String(),
	}
	a := startTestApp(t, "", args...)
	b := startTestApp(t, "", args...)

	mustOK(t, a.rest("v4/group_open_http_svc/create_group", map[string]any{"Type": "AVChatRoom", "GroupId": "cluster-room", "Name": "Cluster"}))
	// A group created on A is visible on B.
	info := mustOK(t, b.rest("v4/group_open_http_svc/get_group_info", map[string]any{"GroupIdList": []string{"cluster-room"}}))
	if g := info["GroupInfo"].([]any)[0].(map[string]any); g["ErrorCode"] != float64(0) || g["Type"] != "AVChatRoom" {
		t.Fatalf("group created on A, read on B: %v", g)
	}

	dialViewers(t, a, "cluster-room", "a_", 30)
	onB := dialViewers(t, b, "cluster-room", "b_", 20)
	waitCount(t, a, "cluster-room", 50)
	waitCount(t, b, "cluster-room", 50)
	waitFor(t, countBound, "50 members listed on A", func() bool { return listedMembers(t, a, "cluster-room") == 50 })

	// A user on B is kicked through A's REST API.
	mustOK(t, a.rest("v4/im_open_login_svc/kick", map[string]any{"UserID": "b_0000"}))
	select {
	case <-onB[0].Done():
	case <-time.After(countBound):
		t.Fatal("user on node B still connected after a kick through node A")
	}
	waitCount(t, a, "cluster-room", 49)

	// Node B dies: its 19 remaining users stop counting on A.
	b.kill()
	waitFor(t, deathBound, "A's count to fall to 30 after B died", func() bool { return onlineNum(t, a, "cluster-room") == 30 })
	waitFor(t, deathBound, "A's member list to fall to 30", func() bool { return listedMembers(t, a, "cluster-room") == 30 })

	// The survivor still serves its own users.
	ctx := context.Background()
	c, err := client.Dial(ctx, a.BaseURL, testAppID, "late", userSig("late"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.JoinGroup(ctx, "cluster-room"); err != nil {
		t.Fatal(err)
	}
	waitCount(t, a, "cluster-room", 31)
}

// listedMembers counts get_members over every page.
func listedMembers(t *testing.T, n *node, groupID string) int {
	t.Helper()
	total, cursor := 0, 0.0
	for {
		reply := mustOK(t, n.rest("v4/group_open_avchatroom_http_svc/get_members", map[string]any{"GroupId": groupID, "Timestamp": cursor}))
		total += len(reply["MemberList"].([]any))
		if cursor = reply["NextTimestamp"].(float64); cursor == 0 {
			return total
		}
	}
}
