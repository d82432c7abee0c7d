package e2e

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
	"github.com/chatd/chatd/internal/usersig"
)

// TestKick: kick closes every connection of the user and invalidates the
// UserSigs issued before it; a fresh sig logs in again.
func TestKick(t *testing.T) {
	storeEngines(t, testKick)
}

func testKick(t *testing.T, storeArgs []string) {
	n := startTestApp(t, "", storeArgs...)
	ctx := context.Background()
	oldSig := usersig.Generate(testKey, testAppID, "kim", 86400, time.Now().Add(-2*time.Second))
	var devices []*client.Client
	for range 2 {
		c, err := client.Dial(ctx, n.BaseURL, testAppID, "kim", oldSig)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		devices = append(devices, c)
	}
	mustOK(t, n.rest("v4/im_open_login_svc/kick", map[string]any{"UserID": "kim"}))
	for i, c := range devices {
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("device %d still connected after kick", i)
		}
	}
	_, err := client.Dial(ctx, n.BaseURL, testAppID, "kim", oldSig)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != 70052 {
		t.Fatalf("login with a sig issued before the kick: %v, want 70052", err)
	}
	fresh, err := client.Dial(ctx, n.BaseURL, testAppID, "kim", userSig("kim"))
	if err != nil {
		t.Fatalf("login with a fresh sig: %v", err)
	}
	_ = fresh.Close()

	wantCode(t, n.rest("v4/im_open_login_svc/kick", map[string]any{"UserID": "nobody"}), 70107)
	wantCode(t, n.rest("v4/im_open_login_svc/kick", map[string]any{}), 70402)
}

// TestAccountChangesAcrossNodes: each node admits a returning user from
// its memory of the account, and a kick or a deletion made through one
// node holds on the other, which had seen the account before.
func TestAccountChangesAcrossNodes(t *testing.T) {
	c := newFaultCluster(t, 2, 500*time.Millisecond)
	a, b := c.nodes[0], c.nodes[1]
	ctx := context.Background()
	oldSig := usersig.Generate(testKey, testAppID, "kai", 86400, time.Now().Add(-2*time.Second))
	for _, n := range []*node{a, b} {
		for _, user := range []string{"kai", "dee"} {
			sig := userSig(user)
			if user == "kai" {
				sig = oldSig
			}
			cl, err := client.Dial(ctx, n.BaseURL, testAppID, user, sig)
			if err != nil {
				t.Fatal(err)
			}
			_ = cl.Close()
		}
	}

	mustOK(t, a.rest("v4/im_open_login_svc/kick", map[string]any{"UserID": "kai"}))
	waitFor(t, 10*time.Second, "node B to refuse a sig made before the kick", func() bool {
		cl, err := client.Dial(ctx, b.BaseURL, testAppID, "kai", oldSig)
		if err == nil {
			_ = cl.Close()
		}
		var ce *client.Error
		return errors.As(err, &ce) && ce.Code == 70052
	})

	mustOK(t, a.rest("v4/im_open_login_svc/account_delete", map[string]any{"DeleteItem": []any{map[string]any{"UserID": "dee"}}}))
	waitFor(t, 10*time.Second, "node B to report the deleted account not imported", func() bool {
		reply := mustOK(t, b.rest("v4/im_open_login_svc/account_check", map[string]any{"CheckItem": []any{map[string]any{"UserID": "dee"}}}))
		items, _ := reply["ResultItem"].([]any)
		item, _ := items[0].(map[string]any)
		return item["AccountStatus"] == "NotImported"
	})
}
