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

	// Online status answers for the whole cluster from either node.
	ctx := context.Background()
	phone, err := client.Dial(ctx, b.BaseURL, testAppID, "b_0001", userSig("b_0001"), client.WithPlatform("Android"))
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	wantStatus := map[string]string{"a_0000": "Online", "b_0001": "Online", testAdmin: "Offline"}
	waitFor(t, countBound, "online status of B's users on A", func() bool {
		reply := mustOK(t, a.rest("v4/openim/query_online_status", map[string]any{
			"To_Account": []string{"a_0000", "b_0001", testAdmin, "ghost"}, "IsNeedDetail": 1,
		}))
		if errs := reply["ErrorList"].([]any); len(errs) != 1 || errs[0].(map[string]any)["ErrorCode"] != float64(70107) {
			t.Fatalf("ErrorList: %v", reply)
		}
		for _, it := range reply["QueryResult"].([]any) {
			item := it.(map[string]any)
			id := item["To_Account"].(string)
			if item["Status"] != wantStatus[id] {
				return false
			}
			if id == "b_0001" && len(item["Detail"].([]any)) != 2 {
				return false // Web and Android
			}
		}
		return true
	})
	_ = phone.Close()

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

	waitFor(t, deathBound, "B's users to read Offline on A", func() bool {
		reply := mustOK(t, a.rest("v4/openim/query_online_status", map[string]any{"To_Account": []string{"b_0002"}}))
		return reply["QueryResult"].([]any)[0].(map[string]any)["Status"] == "Offline"
	})

	// The survivor still serves its own users.
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
