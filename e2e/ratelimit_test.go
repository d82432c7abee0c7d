package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestClusterRateLimits: on three nodes each per-API limit holds for the
// app as a whole, and so does the app-wide request limit (60011) an app
// sets as rate_limits["*"]. Calls go round robin over the nodes at three
// times the limit; after a first second that empties the buckets every
// node starts with, about two thirds are refused: the allowed ones are
// the limit, within 10%.
func TestClusterRateLimits(t *testing.T) {
	const (
		checkRate = 5  // account_check, per second, cluster-wide
		appRate   = 20 // every API together
		measure   = 5 * time.Second
	)
	conf := filepath.Join(t.TempDir(), "chatd.json")
	app := map[string]any{"apps": []any{map[string]any{
		"sdkappid": testAppID, "secret_key": testKey, "admins": []string{testAdmin},
		"rate_limits": map[string]int{"*": appRate, "v4/im_open_login_svc/account_check": checkRate},
	}}}
	data, _ := json.Marshal(app)
	if err := os.WriteFile(conf, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c := newFaultCluster(t, 0, faultInterval)
	c.args = append(c.args, "--config", conf)
	for range 3 {
		c.add(t)
	}
	// Each node shares the limits by the live nodes it knows: wait until
	// every node counts the others' users.
	mustOK(t, c.nodes[0].rest("v4/group_open_http_svc/create_group", map[string]any{"Type": "AVChatRoom", "GroupId": "probe", "Name": "probe"}))
	for i, n := range c.nodes {
		joinAs(t, n, fmt.Sprint("probe", i), "probe")
	}
	waitCountEverywhere(t, c.nodes, "probe", 3, countBound, "the nodes to know each other")
	time.Sleep(time.Second) // the probe's calls refill

	drive := func(path string, body any, rate int, code int) {
		t.Helper()
		sig := adminSig()
		tick := time.NewTicker(time.Second / time.Duration(3*rate))
		defer tick.Stop()
		calls, refused, measured := 0, 0, 0
		start := time.Now()
		warm := start.Add(time.Second)
		for now := range tick.C {
			if now.Sub(start) > time.Second+measure {
				break
			}
			reply := c.nodes[calls%3].restAs(testAppID, testAdmin, sig, path, body)
			calls++
			if now.Before(warm) {
				continue
			}
			measured++
			switch reply["ErrorCode"] {
			case float64(0):
			case float64(code):
				refused++
			default:
				t.Fatalf("%s: %v", path, reply)
			}
		}
		allowed, want := measured-refused, rate*int(measure/time.Second)
		t.Logf("%s at %d/s through 3 nodes: %d of %d calls refused with %d, %d allowed (limit: %d)", path, 3*rate, refused, measured, code, allowed, want)
		if allowed < want*9/10 || allowed > want*11/10 {
			t.Errorf("%s: %d calls allowed in %v, want %d ±10%%", path, allowed, measure, want)
		}
	}
	t.Run("per-API limit", func(t *testing.T) {
		drive("v4/im_open_login_svc/account_check", map[string]any{"CheckItem": []any{map[string]any{"UserID": "u1"}}}, checkRate, 60007)
	})
	t.Run("app-wide limit", func(t *testing.T) {
		drive("v4/openim/query_online_status", map[string]any{"To_Account": []string{"u1"}}, appRate, 60011)
	})
}
