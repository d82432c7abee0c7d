package api_test

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/account"
	"github.com/chatd/chatd/internal/api"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/usersig"
)

// TestAppWideLimit covers the app-wide request limit of overview.md §3:
// off by default, set per app as rate_limits["*"], counted over every API
// and answered with 60011.
func TestAppWideLimit(t *testing.T) {
	const check = `{"CheckItem":[{"UserID":"alice"}]}`
	ts := newTestServer(t, withApp(func(a *config.App) {
		a.RateLimits = map[string]int{config.AppWideLimit: 3, "v4/im_open_login_svc/account_check": 1}
	}))
	ts.must(t, pathCheck, check, 0)
	ts.must(t, pathCheck, check, 60007) // the per-API limit, inside the app's budget
	ts.must(t, pathImport, `{"UserID":"alice"}`, 0)
	ts.must(t, pathImport, `{"UserID":"alice"}`, 60011) // three calls this second: the app is over
	ts.must(t, pathAppGroups, `{}`, 60011)
	for range 5 { // refused auth never reaches the limits
		ts.must(t, pathCheck, check, 60010, asUser("bob"))
	}
	ts.clock.Advance(time.Second)
	ts.must(t, pathImport, `{"UserID":"alice"}`, 0)

	// Without "*" there is no app-wide limit: only the per-API ones.
	off := newTestServer(t, withRateLimit(0))
	for range 300 {
		off.must(t, pathCheck, check, 0)
	}
}

// TestLimitsShared: nodes that share their limits (ShareLimits with the
// live node count) allow an API's rate for the cluster as a whole. Driven
// round robin at three times the rate, about two thirds of the calls are
// refused, within 10%, at 2 and at 3 nodes.
func TestLimitsShared(t *testing.T) {
	const (
		rate    = 30
		seconds = 5
		tick    = 100 * time.Millisecond
	)
	const check = `{"CheckItem":[{"UserID":"alice"}]}`
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprint(n, " nodes"), func(t *testing.T) {
			nodes := startSharedNodes(t, n, withApp(func(a *config.App) {
				a.RateLimits = map[string]int{"v4/im_open_login_svc/account_check": rate}
			}))
			clk := nodes[0].clock
			// One second at 3× the rate drains the buckets every node
			// starts with; the next seconds are the steady state.
			refused, calls := 0, 0
			perTick := int(3 * rate * tick.Seconds())
			for i := range (seconds + 1) * int(time.Second/tick) {
				clk.Advance(tick)
				for range perTick {
					env, _ := nodes[calls%n].call(t, pathCheck, check)
					calls++
					if i >= int(time.Second/tick) && num(t, env["ErrorCode"]) == 60007 {
						refused++
					}
				}
			}
			measured := seconds * 3 * rate
			if allowed, want := measured-refused, seconds*rate; allowed < want*9/10 || allowed > want*11/10 {
				t.Fatalf("%d nodes allowed %d of %d calls in %d s, want %d ±10%%", n, allowed, measured, seconds, want)
			}
		})
	}
}

// startSharedNodes starts n servers of one cluster on one store and one
// clock, each told there are n live nodes.
func startSharedNodes(t *testing.T, n int, opts ...option) []*testServer {
	t.Helper()
	cfg := config.Default()
	cfg.Apps = []config.App{{SDKAppID: testAppID, SecretKey: testKey, Admins: []string{testAdmin}}}
	for _, o := range opts {
		o(&cfg)
	}
	db, err := openStore(newStoreLocation(t))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{t: testEpoch}
	var out []*testServer
	for range n {
		srv, err := api.NewServer(api.Options{
			Config:   cfg,
			Verifier: usersig.NewVerifier(config.DefaultSigCache, clk.Now),
			Now:      clk.Now,
			Logger:   slog.New(slog.DiscardHandler),
		}, api.Commands(api.Services{Accounts: account.NewService(db), Groups: group.NewService(db, db, nil), Store: db}))
		if err != nil {
			t.Fatal(err)
		}
		srv.ShareLimits(func() int { return n })
		hs := httptest.NewServer(api.Handler(srv, nil, func() bool { return true }))
		t.Cleanup(hs.Close)
		out = append(out, &testServer{clock: clk, http: hs, cfg: cfg, sig: usersig.Generate(testKey, testAppID, testAdmin, sigLifetime, clk.Now())})
	}
	return out
}
