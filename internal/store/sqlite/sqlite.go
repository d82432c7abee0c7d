// Package sqlite opens chatd's store on a SQLite file through the
// pure-Go modernc.org/sqlite driver.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/store"
)

// BusyTimeoutMS is how long a connection waits for a lock held by another
// connection (another process, or a checkpoint) before failing.
const BusyTimeoutMS = 5000

// dialect is SQLite's store.Dialect.
var dialect = store.Dialect{
	Name:        "sqlite",
	Classify:    classify,
	CacheWrites: true,
}

// Open opens (creating if needed) the database file at path and migrates
// it.
//
// Every connection gets its pragmas from the DSN (_pragma=...), which the
// driver runs on each new pooled connection, not just the first:
//   - journal_mode=WAL: readers never block the writer nor each other.
//   - synchronous=FULL: with WAL, a commit returns only after the WAL is
//     fsynced, so every acknowledged write survives kill -9 and power loss.
//     NORMAL would be faster but may lose the last commits on power loss.
//   - foreign_keys=ON and busy_timeout.
//
// Concurrency: writes go through a pool of exactly one connection, so
// concurrent writers queue in database/sql (FIFO, no polling) instead of
// racing for the file lock; in WAL mode a deferred transaction that
// upgrades from read to write can fail with SQLITE_BUSY at once, without
// the busy handler, which is what a multi-connection write pool would hit
// under load. That connection also begins transactions with BEGIN IMMEDIATE
// (_txlock=immediate), taking the write lock up front where busy_timeout
// applies, so another process writing the same file (a second chatd, the
// sqlite3 shell) makes us wait rather than fail. Reads use a separate
// query-only pool sized to the CPUs.
func Open(path string) (*store.DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: open %q: path must be non-empty and contain no ? or #", path)
	}
	w, err := sql.Open("sqlite", writeDSN(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// Open the writer first: it switches the file to WAL before any reader
	// connects.
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", readDSN(path))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db := store.New(dialect, w, r)
	if err := db.Migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// pragmas are run on every connection of both pools.
var pragmas = []string{
	fmt.Sprintf("busy_timeout(%d)", BusyTimeoutMS),
	"journal_mode(WAL)",
	"synchronous(FULL)",
	"foreign_keys(1)",
}

// writeCache is the writer's page cache, in KiB. A batch of a few hundred
// sends dirties about a thousand pages; with SQLite's default of 2 MiB the
// writer spilled them into the WAL mid-transaction and re-read evicted
// index pages (BenchmarkCommitStreamSQLite: 13% less CPU per message).
const writeCache = "cache_size(-65536)"

func writeDSN(path string) string {
	return dsn(path, append(pragmas[:len(pragmas):len(pragmas)], writeCache), "_txlock", "immediate")
}

func readDSN(path string) string {
	// query_only makes a stray write on the read pool fail loudly instead of
	// bypassing the single-writer discipline.
	return dsn(path, append(pragmas[:len(pragmas):len(pragmas)], "query_only(1)"))
}

func dsn(path string, pragmas []string, kv ...string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return path + "?" + q.Encode()
}

// classify maps SQLite constraint errors onto the im sentinels.
func classify(err error) error {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return nil
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return im.ErrConflict
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return im.ErrNotFound
	}
	return nil
}
