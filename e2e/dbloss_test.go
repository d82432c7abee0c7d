package e2e

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/chatd/chatd/internal/store/pgtest"
)

// TestDatabaseConnectionLoss: PostgreSQL drops every connection of the node
// again and again while REST calls run. Each call must answer HTTP 200 with
// success or the area's internal-error code, and the node must keep
// running and recover.
func TestDatabaseConnectionLoss(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	// Unlimited rates: failing calls come back fast, and a rate-limit answer
	// would hide the code under test.
	n := startTestApp(t, "", "--store", dsn, "--rate-limit", "0")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	admin, err := sql.Open("pgx", pgtest.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	killer := make(chan struct{})
	go func() {
		defer close(killer)
		for ctx.Err() == nil {
			_, _ = admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, dbName)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	internalCodes := map[float64]bool{0: true, 70500: true, 10002: true}
	calls := 0
	for ctx.Err() == nil {
		calls++
		// rest fails the test on any HTTP status but 200.
		for _, reply := range []map[string]any{
			n.rest("v4/im_open_login_svc/account_import", map[string]any{"UserID": "u"}),
			n.rest("v4/group_open_http_svc/get_appid_group_list", map[string]any{}),
		} {
			if code := reply["ErrorCode"].(float64); !internalCodes[code] {
				t.Fatalf("call %d during connection loss answered %v", calls, reply)
			}
		}
	}
	<-killer
	// Connections come back: calls succeed again.
	waitFor(t, 10*time.Second, "calls to succeed after the database came back", func() bool {
		return n.rest("v4/im_open_login_svc/account_check", map[string]any{"CheckItem": []any{map[string]any{"UserID": "u"}}})["ErrorCode"] == float64(0)
	})
	if err := n.stop(); err != nil {
		t.Fatalf("node did not survive the connection loss: %v", err)
	}
}
