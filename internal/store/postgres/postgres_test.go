package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/store"
	"github.com/chatd/chatd/internal/store/pgtest"
	"github.com/chatd/chatd/internal/store/storetest"
)

// mustOpen opens a store on a fresh database and closes it when the test
// ends (before pgtest drops the database).
func mustOpen(tb testing.TB, opts Options) (*store.DB, string) {
	tb.Helper()
	dsn := pgtest.NewDatabase(tb)
	db, err := Open(context.Background(), dsn, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, dsn
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) im.Store {
		db, _ := mustOpen(t, Options{MaxOpenConns: 8})
		return db
	})
}

// TestMigrateTwice checks a second node opening a migrated database, and
// nodes starting together, neither re-apply nor trip over migrations.
func TestMigrateTwice(t *testing.T) {
	db, dsn := mustOpen(t, Options{})
	want, err := db.SchemaVersion(t.Context())
	if err != nil || want == 0 {
		t.Fatalf("schema version %d, %v", want, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			other, err := Open(t.Context(), dsn, Options{MaxOpenConns: 2})
			if err == nil {
				err = other.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, err := db.SchemaVersion(t.Context()); err != nil || got != want {
		t.Fatalf("schema version %d, %v; want %d", got, err, want)
	}
}

// TestLostConnection kills the server backends of the store's database
// again and again while calls run: those calls may fail with an ordinary
// error, but nothing panics and the pool recovers afterwards.
func TestLostConnection(t *testing.T) {
	db, dsn := mustOpen(t, Options{MaxOpenConns: 4})
	ctx := t.Context()
	if err := db.ImportAccounts(ctx, []im.AccountImport{{Account: im.Account{AppID: 1, UserID: "alice"}}}); err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", pgtest.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := dsn[strings.LastIndex(dsn, "/")+1:]
	if _, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name); err != nil {
		t.Fatal(err)
	}
	// Keep killing backends while calls are in flight.
	stop := make(chan struct{})
	var killer sync.WaitGroup
	killer.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
				_, _ = admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name)
			}
		}
	})
	var mu sync.Mutex
	failed := 0
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 20 {
				err := db.ImportAccounts(ctx, []im.AccountImport{{Account: im.Account{AppID: 1, UserID: fmt.Sprintf("w%d-%d", w, i)}}})
				if _, err2 := db.ListGroupIDs(ctx, 1, "", 0, 10); err == nil {
					err = err2
				}
				if err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	killer.Wait()
	t.Logf("%d of 160 call pairs failed while backends were killed", failed)

	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := db.CountAccounts(ctx, 1)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("store did not recover: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestOpenUnreachable checks Open gives up with an error within its retry
// budget, and sooner when the context ends.
func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 600*time.Millisecond)
	defer cancel()
	start := time.Now()
	db, err := Open(ctx, "postgres://postgres@127.0.0.1:1/none?sslmode=disable", Options{})
	if err == nil {
		db.Close()
		t.Fatal("Open of a closed port succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Open took %v despite a 600ms context", d)
	}
	t.Log(err)
}

// TestOpenRefused checks a definite refusal (no such database) is not
// retried.
func TestOpenRefused(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	dsn = strings.Replace(dsn, "chatd_test_", "chatd_missing_", 1)
	start := time.Now()
	db, err := Open(t.Context(), dsn, Options{})
	if err == nil {
		db.Close()
		t.Fatal("Open of a missing database succeeded")
	}
	if d := time.Since(start); d > firstRetryDelay {
		t.Fatalf("refusal took %v: it was retried", d)
	}
}

func TestOptionsDefaults(t *testing.T) {
	for _, tt := range []struct {
		in, want Options
	}{
		{Options{}, Options{DefaultMaxOpenConns, DefaultMaxIdleConns, DefaultConnMaxLifetime}},
		{Options{MaxOpenConns: 4}, Options{4, 4, DefaultConnMaxLifetime}},
		{Options{MaxOpenConns: 50, MaxIdleConns: 30, ConnMaxLifetime: time.Minute}, Options{50, 30, time.Minute}},
	} {
		if got := tt.in.withDefaults(); got != tt.want {
			t.Errorf("%+v.withDefaults() = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
