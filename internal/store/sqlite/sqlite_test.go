package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/store"
	"github.com/chatd/chatd/internal/store/storetest"
)

// mustOpen opens a store on path and closes it when the test ends.
func mustOpen(tb testing.TB, path string) *store.DB {
	tb.Helper()
	db, err := Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) im.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "chatd.db"))
	})
}

// TestPragmas checks the DSN sets every pragma on every pooled connection,
// not only the first one.
func TestPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chatd.db")
	mustOpen(t, path) // creates the file in WAL mode
	for _, tt := range []struct {
		name, dsn string
		queryOnly int
	}{
		{"write", writeDSN(path), 0},
		{"read", readDSN(path), 1},
	} {
		db, err := sql.Open("sqlite", tt.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var conns []*sql.Conn
		for range 3 {
			c, err := db.Conn(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for i, c := range conns {
			for _, p := range []struct {
				pragma string
				want   string
			}{
				{"journal_mode", "wal"},
				{"synchronous", "2"}, // FULL
				{"foreign_keys", "1"},
				{"busy_timeout", fmt.Sprint(BusyTimeoutMS)},
				{"query_only", fmt.Sprint(tt.queryOnly)},
			} {
				var got string
				if err := c.QueryRowContext(t.Context(), "PRAGMA "+p.pragma).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != p.want {
					t.Errorf("%s pool, conn %d: %s = %s, want %s", tt.name, i, p.pragma, got, p.want)
				}
			}
			c.Close()
		}
	}
}

// TestRestart checks data and schema survive closing and reopening.
func TestRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chatd.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := db.ImportAccounts(ctx, []im.AccountImport{{Account: im.Account{AppID: 1, UserID: "alice", Nick: "A", CreatedAt: 7}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateGroup(ctx, &im.Group{AppID: 1, ID: "g", Type: im.GroupPublic, AppDefinedData: []im.KV{{Key: "k", Value: "v"}}},
		[]im.Member{{UserID: "alice", Role: im.RoleOwner, JoinTime: 3}}); err != nil {
		t.Fatal(err)
	}
	if err := db.BanMembers(ctx, 1, "g", []im.Ban{{UserID: "bob", Until: 99}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = mustOpen(t, path)
	accounts, err := db.GetAccounts(ctx, 1, []string{"alice"})
	if err != nil || accounts["alice"].Nick != "A" || accounts["alice"].CreatedAt != 7 {
		t.Fatalf("account after reopen: %+v, %v", accounts, err)
	}
	g, err := db.GetGroup(ctx, 1, "g")
	if err != nil || g.MemberNum != 1 || len(g.AppDefinedData) != 1 {
		t.Fatalf("group after reopen: %+v, %v", g, err)
	}
	if until, err := db.BannedUntil(ctx, 1, "g", "bob", 0); err != nil || until != 99 {
		t.Fatalf("ban after reopen: %d, %v", until, err)
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil || v == 0 {
		t.Fatalf("schema version after reopen: %d, %v", v, err)
	}
}

// TestTwoProcesses opens the same file twice, as two chatd processes (or
// chatd and a maintenance tool) would, and writes from both at once: BEGIN
// IMMEDIATE with busy_timeout must make them wait for each other, not fail
// with SQLITE_BUSY.
func TestTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chatd.db")
	dbs := []*store.DB{mustOpen(t, path), mustOpen(t, path)}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for w := range 40 {
		wg.Go(func() {
			db := dbs[w%2]
			var items []im.AccountImport
			for i := range 25 {
				items = append(items, im.AccountImport{Account: im.Account{AppID: 1, UserID: fmt.Sprintf("w%d-%d", w, i)}})
			}
			errs <- db.ImportAccounts(t.Context(), items)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n, err := dbs[0].CountAccounts(t.Context(), 1)
	if err != nil || n != 40*25 {
		t.Fatalf("count = %d, %v; want %d", n, err, 40*25)
	}
}

// TestKill9 writes from a child process, kills it with SIGKILL mid-stream
// and checks that every write the child saw acknowledged is in the file.
// A killed process leaves the OS page cache intact, so this exercises WAL
// recovery and commit acknowledgement; surviving power loss rests on
// synchronous=FULL, which TestPragmas checks.
func TestKill9(t *testing.T) {
	if path := os.Getenv("CHATD_SQLITE_KILL9_CHILD"); path != "" {
		kill9Child(path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "chatd.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9$")
	cmd.Env = append(os.Environ(), "CHATD_SQLITE_KILL9_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked = append(acked, id)
			if len(acked) == 200 {
				break
			}
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(acked) < 200 {
		t.Fatalf("child acknowledged only %d writes", len(acked))
	}

	db := mustOpen(t, path)
	got, err := db.GetAccounts(t.Context(), 1, acked)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(acked) {
		t.Fatalf("%d of %d acknowledged accounts survived kill -9", len(got), len(acked))
	}
}

// kill9Child imports accounts one by one forever, reporting each after its
// commit returned.
func kill9Child(path string) {
	db, err := Open(path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		id := fmt.Sprintf("user%06d", i)
		if err := db.ImportAccounts(context.Background(), []im.AccountImport{{Account: im.Account{AppID: 1, UserID: id}}}); err != nil {
			fmt.Println("import:", err)
			os.Exit(1)
		}
		fmt.Println("acked", id)
	}
}

func TestOpenRejectsBadPath(t *testing.T) {
	for _, p := range []string{"", "a?b.db", "a#b.db"} {
		if db, err := Open(p); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}
