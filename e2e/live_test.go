package e2e

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
	"github.com/chatd/chatd/internal/usersig"
)

// countBound is how long a count may take to reflect a change: the
// vendor's 10 s staleness bound. On one node the count is exact at once;
// polling only absorbs the asynchronous close of a socket.
const countBound = 10 * time.Second

// dialViewers logs n users in and makes each join the room.
func dialViewers(t *testing.T, n *node, groupID, prefix string, count int) []*client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	clients := make([]*client.Client, count)
	errs := make(chan error, count)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := fmt.Sprintf("%s%04d", prefix, i)
			c, err := client.Dial(ctx, n.BaseURL, testAppID, id, userSig(id))
			if err != nil {
				errs <- fmt.Errorf("dial %s: %w", id, err)
				return
			}
			clients[i] = c
			if err := c.JoinGroup(ctx, groupID); err != nil {
				errs <- fmt.Errorf("%s join: %w", id, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, c := range clients {
			_ = c.Close()
		}
	})
	return clients
}

func onlineNum(t *testing.T, n *node, groupID string) int {
	t.Helper()
	reply := mustOK(t, n.rest("v4/group_open_http_svc/get_online_member_num", map[string]any{"GroupId": groupID}))
	return int(reply["OnlineMemberNum"].(float64))
}

func waitCount(t *testing.T, n *node, groupID string, want int) {
	t.Helper()
	waitFor(t, countBound, fmt.Sprintf("online count %d", want), func() bool { return onlineNum(t, n, groupID) == want })
}

// TestLiveRoom is the end-to-end scenario: real clients in an
// AVChatRoom and the live-group REST commands watching them.
func TestLiveRoom(t *testing.T) {
	storeEngines(t, testLiveRoom)
}

func testLiveRoom(t *testing.T, storeArgs []string) {
	n := startTestApp(t, "", storeArgs...)
	mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{"Type": "AVChatRoom", "GroupId": "live-1", "Name": "Live"}))

	viewers := dialViewers(t, n, "live-1", "viewer_", 50)
	if got := onlineNum(t, n, "live-1"); got != 50 {
		t.Fatalf("online count after 50 joins: %d", got)
	}
	for _, c := range viewers[:20] {
		_ = c.Close()
	}
	waitCount(t, n, "live-1", 30)

	// A second device of one user does not count twice.
	ctx := context.Background()
	again, err := client.Dial(ctx, n.BaseURL, testAppID, "viewer_0049", userSig("viewer_0049"))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if err := again.JoinGroup(ctx, "live-1"); err != nil {
		t.Fatal(err)
	}
	if got := onlineNum(t, n, "live-1"); got != 30 {
		t.Fatalf("two connections of one user counted %d, want 30", got)
	}
	// Closing one of the two keeps the user in the room.
	_ = again.Close()
	time.Sleep(100 * time.Millisecond)
	if got := onlineNum(t, n, "live-1"); got != 30 {
		t.Fatalf("closing one of two devices changed the count to %d", got)
	}

	t.Run("errors", func(t *testing.T) {
		mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{"Type": "Public", "GroupId": "public-1", "Name": "Public"}))
		for _, tc := range []struct {
			name string
			body map[string]any
			code int
		}{
			{"public group", map[string]any{"GroupId": "public-1"}, 10007},
			{"unknown group", map[string]any{"GroupId": "no-such-room"}, 10010},
			{"invalid id", map[string]any{"GroupId": "bad\x01id"}, 10015},
			{"missing id", map[string]any{}, 10004},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantCode(t, n.rest("v4/group_open_http_svc/get_online_member_num", tc.body), tc.code)
			})
		}
	})

	t.Run("login refused", func(t *testing.T) {
		expired := usersig.Generate(testKey, testAppID, "late", 10, time.Now().Add(-time.Hour))
		forged := usersig.Generate(testKey+"x", testAppID, "mallory", 86400, time.Now())
		for _, tc := range []struct {
			user, sig string
			code      int
		}{
			{"late", expired, 70001},
			{"mallory", forged, 70009},
			{"mallory", "garbage$", 70003},
			{"mallory", userSig("someone_else"), 70013},
		} {
			_, err := client.Dial(ctx, n.BaseURL, testAppID, tc.user, tc.sig)
			var ce *client.Error
			if !errors.As(err, &ce) || ce.Code != tc.code {
				t.Errorf("login %s: got %v, want code %d", tc.user, err, tc.code)
			}
		}
	})

	// Clients that later subtests count on stay connected until the test ends.
	keep := func(c *client.Client) { t.Cleanup(func() { _ = c.Close() }) }

	t.Run("ban", func(t *testing.T) {
		mustOK(t, n.rest("v4/group_open_http_svc/ban_group_member", map[string]any{
			"GroupId": "live-1", "Members_Account": []string{"viewer_0030"}, "Duration": 3600,
		}))
		waitCount(t, n, "live-1", 29)
		c, err := client.Dial(ctx, n.BaseURL, testAppID, "viewer_0030", userSig("viewer_0030"))
		if err != nil {
			t.Fatal(err)
		}
		keep(c)
		var ce *client.Error
		if err := c.JoinGroup(ctx, "live-1"); !errors.As(err, &ce) || ce.Code != 10007 {
			t.Fatalf("banned user joined: %v", err)
		}
		bans := mustOK(t, n.rest("v4/group_open_http_svc/get_group_ban_member", map[string]any{"GroupId": "live-1", "Offset": 0}))
		if list := bans["BannedAccountList"].([]any); len(list) != 1 || list[0].(map[string]any)["Member_Account"] != "viewer_0030" {
			t.Fatalf("ban list: %v", bans)
		}
		mustOK(t, n.rest("v4/group_open_http_svc/unban_group_member", map[string]any{"GroupId": "live-1", "Members_Account": []string{"viewer_0030"}}))
		if err := c.JoinGroup(ctx, "live-1"); err != nil {
			t.Fatalf("unbanned user cannot rejoin: %v", err)
		}
		waitCount(t, n, "live-1", 30)
	})

	t.Run("marks filter the list", func(t *testing.T) {
		reply := mustOK(t, n.rest("v4/group_open_avchatroom_http_svc/modify_user_info", map[string]any{
			"GroupId": "live-1", "CommandType": 1,
			"MemberList": []any{
				map[string]any{"Member_Account": "viewer_0040", "Marks": []int{1001}},
				map[string]any{"Member_Account": "viewer_0001", "Marks": []int{1001}}, // offline: left out
			},
		}))
		if applied := reply["MemberList"].([]any); len(applied) != 1 {
			t.Fatalf("marks applied to offline members: %v", reply)
		}
		marked := mustOK(t, n.rest("v4/group_open_avchatroom_http_svc/get_members", map[string]any{"GroupId": "live-1", "Timestamp": 0, "Mark": 1001}))
		list := marked["MemberList"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["Member_Account"] != "viewer_0040" {
			t.Fatalf("Mark 1001 lists %v", list)
		}
		// At most 10 distinct marks in a group.
		mark := func(marks ...int) map[string]any {
			return n.rest("v4/group_open_avchatroom_http_svc/modify_user_info", map[string]any{
				"GroupId": "live-1", "CommandType": 1,
				"MemberList": []any{map[string]any{"Member_Account": "viewer_0041", "Marks": marks}},
			})
		}
		mustOK(t, mark(1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010))
		wantCode(t, mark(1011), 10004)
		wantCode(t, mark(999), 10004)
		// Removing works and frees a slot.
		mustOK(t, n.rest("v4/group_open_avchatroom_http_svc/modify_user_info", map[string]any{
			"GroupId": "live-1", "CommandType": 2,
			"MemberList": []any{map[string]any{"Member_Account": "viewer_0041", "Marks": []int{1010}}},
		}))
		mustOK(t, mark(1011))

		// Mark 500 holds a user who is not connected online.
		pin := func(cmd int) map[string]any {
			return n.rest("v4/group_open_avchatroom_http_svc/modify_user_info", map[string]any{
				"GroupId": "live-1", "CommandType": cmd,
				"MemberList": []any{map[string]any{"Member_Account": "stage_host", "Marks": []int{500}}},
			})
		}
		mustOK(t, pin(1))
		if got := onlineNum(t, n, "live-1"); got != 31 {
			t.Fatalf("after pinning an offline host the count is %d, want 31", got)
		}
		mustOK(t, pin(2))
		if got := onlineNum(t, n, "live-1"); got != 30 {
			t.Fatalf("after unpinning the count is %d, want 30", got)
		}
	})
}

// TestOnlineMemberPaging fills a room past one page and walks the pages.
func TestOnlineMemberPaging(t *testing.T) {
	storeEngines(t, testOnlineMemberPaging)
}

func testOnlineMemberPaging(t *testing.T, storeArgs []string) {
	n := startTestApp(t, "", storeArgs...)
	mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{"Type": "AVChatRoom", "GroupId": "big-room", "Name": "Big"}))
	dialViewers(t, n, "big-room", "fan_", 300)

	seen := map[string]bool{}
	cursor, pages := 0.0, 0
	for {
		reply := mustOK(t, n.rest("v4/group_open_avchatroom_http_svc/get_members", map[string]any{"GroupId": "big-room", "Timestamp": cursor}))
		pages++
		for _, m := range reply["MemberList"].([]any) {
			id := m.(map[string]any)["Member_Account"].(string)
			if seen[id] {
				t.Fatalf("%s listed twice", id)
			}
			seen[id] = true
		}
		if pages == 1 && len(reply["MemberList"].([]any)) != 250 {
			t.Fatalf("first page has %d members, want 250", len(reply["MemberList"].([]any)))
		}
		cursor = reply["NextTimestamp"].(float64)
		if cursor == 0 {
			break
		}
		if pages > 3 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 300 || pages != 2 {
		t.Fatalf("listed %d members in %d pages, want 300 in 2", len(seen), pages)
	}
}
