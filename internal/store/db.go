// Package store is chatd's one SQL implementation of the im store
// interfaces, written once for SQLite and PostgreSQL over database/sql.
// The engine packages (store/sqlite, store/postgres) open the pools, set the
// pragmas or pool limits and hand over a Dialect with the few things that
// really differ; everything else — queries, transactions, migrations and the
// mapping of driver errors onto im.ErrNotFound and im.ErrConflict — lives
// here.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/im"
)

// Dialect carries what differs between engines. The SQL itself is shared:
// queries are written with ? placeholders and portable syntax (ON CONFLICT,
// RETURNING, integer Unix-second timestamps).
type Dialect struct {
	// Name selects per-engine migration overrides: 0002_groups.<Name>.sql
	// wins over 0002_groups.sql. It is "sqlite" or "postgres".
	Name string
	// Numbered makes ? placeholders $1, $2, ... (PostgreSQL).
	Numbered bool
	// Classify maps a driver error to im.ErrConflict (unique violation) or
	// im.ErrNotFound (foreign-key violation: the referenced row is missing),
	// or returns nil when the error has no domain meaning.
	Classify func(error) error
	// MigrationLock, when set, runs first inside the migration transaction
	// so that nodes starting together do not apply the same migration twice
	// (a PostgreSQL advisory lock). SQLite needs none: its write
	// transactions are already exclusive.
	MigrationLock string
	// ByteOrder follows a text column in ORDER BY so both engines sort IDs
	// bytewise, as SQLite does by default; PostgreSQL would otherwise sort
	// by the database's locale (` COLLATE "C"`).
	ByteOrder string
	// CacheWrites prepares the statements of write transactions once
	// (writeStmts): for SQLite, which would parse them every time;
	// PostgreSQL's driver keeps its own statement cache.
	CacheWrites bool
	// CountInCommit makes CommitStream count the unread totals the
	// writes' callbacks report (StreamResult.Unread) in its transaction,
	// one query per batch: cheaper than a read per callback across the
	// network (PostgreSQL). On SQLite a cached prepared read per callback,
	// off the writer, costs less than preparing the batch's query in the
	// transaction (docs/BENCHMARKS.md, webhooks).
	CountInCommit bool
}

// DB implements im.Store over database/sql for one engine.
type DB struct {
	dialect Dialect
	// write runs every write transaction. On SQLite it is a one-connection
	// pool, so writers queue in Go instead of contending for the file lock.
	write *sql.DB
	// read runs plain reads. On SQLite it is a separate query-only pool
	// (WAL lets readers proceed beside the writer); on PostgreSQL it is the
	// same pool as write.
	read *sql.DB
	// readStmts caches prepared plain reads by SQL text: preparing costs
	// more than running a point lookup (SQLite parses the statement every
	// time otherwise), and the set of read queries is small and fixed.
	readStmts   sync.Map // string -> *sql.Stmt
	readStmtsMu sync.Mutex
	readStmtsN  int
	// writeStmts caches the write transactions' statements (CacheWrites).
	writeStmts writeStmts

	// Now stamps schema_migrations.applied_at; tests may replace it.
	Now func() time.Time
	// Timeout bounds every store operation, so a database that stops
	// answering fails calls (with the caller's internal-error code) instead
	// of holding REST calls and logins forever.
	Timeout time.Duration
}

// DefaultTimeout is the vendor's REST timeout (overview.md §1.8): past it
// the caller has given up anyway.
const DefaultTimeout = 3 * time.Second

// bound limits one store operation to db.Timeout.
func (db *DB) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, db.Timeout)
}

var _ im.Store = (*DB)(nil)

// New wraps the engine's pools. write and read may be the same pool. The
// schema is not touched: call Migrate before use (the engine Open functions
// do).
func New(d Dialect, write, read *sql.DB) *DB {
	if read == nil {
		read = write
	}
	return &DB{dialect: d, write: write, read: read, Now: time.Now, Timeout: DefaultTimeout}
}

// Engine returns the dialect name ("sqlite" or "postgres").
func (db *DB) Engine() string { return db.dialect.Name }

// Ping checks that the database answers, for health checks.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close releases the prepared statements and both pools.
func (db *DB) Close() error {
	var err error
	db.readStmts.Range(func(_, v any) bool {
		err = errors.Join(err, v.(*sql.Stmt).Close())
		return true
	})
	err = errors.Join(err, db.writeStmts.close())
	err = errors.Join(err, db.write.Close())
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs shared SQL on a pool or transaction, rebinding placeholders.
// A conn for plain reads (db set) runs cached prepared statements.
type conn struct {
	q  querier
	d  *Dialect
	db *DB
	// tx and stmts, set on a write transaction's conn when the engine
	// caches write statements, run its statements prepared.
	tx    *sql.Tx
	stmts *writeStmts
}

// txStmt returns query prepared for the transaction, or nil.
func (c conn) txStmt(ctx context.Context, query string) *sql.Stmt {
	if c.stmts == nil {
		return nil
	}
	if s := c.stmts.get(query); s != nil {
		return c.tx.StmtContext(ctx, s)
	}
	return nil
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = c.d.rebind(query)
	if s := c.txStmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return c.q.ExecContext(ctx, query, args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := c.txStmt(ctx, c.d.rebind(query)); s != nil {
		return s.QueryContext(ctx, args...)
	}
	if c.db != nil {
		if stmt := c.db.prepared(ctx, c.d.rebind(query)); stmt != nil {
			return stmt.QueryContext(ctx, args...)
		}
	}
	return c.q.QueryContext(ctx, c.d.rebind(query), args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s := c.txStmt(ctx, c.d.rebind(query)); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	if c.db != nil {
		if stmt := c.db.prepared(ctx, c.d.rebind(query)); stmt != nil {
			return stmt.QueryRowContext(ctx, args...)
		}
	}
	return c.q.QueryRowContext(ctx, c.d.rebind(query), args...)
}

// maxReadStmts bounds the statement cache: queries with a variable IN list
// have one text per list length.
const maxReadStmts = 256

// prepared returns the cached statement for a read query, preparing it on
// first use, or nil when it cannot be cached (the caller then runs the
// query unprepared, which reports any error).
func (db *DB) prepared(ctx context.Context, query string) *sql.Stmt {
	if v, ok := db.readStmts.Load(query); ok {
		return v.(*sql.Stmt)
	}
	db.readStmtsMu.Lock()
	defer db.readStmtsMu.Unlock()
	if v, ok := db.readStmts.Load(query); ok {
		return v.(*sql.Stmt)
	}
	if db.readStmtsN >= maxReadStmts {
		return nil
	}
	stmt, err := db.read.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	db.readStmts.Store(query, stmt)
	db.readStmtsN++
	return stmt
}

// reader returns the pool plain reads go to, with prepared statements.
func (db *DB) reader() conn { return conn{q: db.read, d: &db.dialect, db: db} }

// inTx runs fn in a write transaction, committing when fn returns nil and
// rolling back otherwise. fn must use only the conn it is given: on SQLite
// the write pool has a single connection, which the transaction holds.
func (db *DB) inTx(ctx context.Context, fn func(conn) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	c := conn{q: tx, d: &db.dialect}
	if db.dialect.CacheWrites {
		c.tx, c.stmts = tx, &db.writeStmts
		// Once the transaction has ended, its connection is free to
		// prepare the statements it ran unprepared.
		defer db.writeStmts.prepareWanted(db.write)
	}
	if err := fn(c); err != nil {
		_ = tx.Rollback() // the error that made us roll back is the one to report
		return err
	}
	return tx.Commit()
}

// fail wraps err with the operation name after translating driver errors
// into the im sentinels, so callers can use errors.Is whatever the engine.
func (db *DB) fail(op string, err error) error {
	return fmt.Errorf("store: %s: %w", op, db.translate(err))
}

func (db *DB) translate(err error) error {
	switch {
	case errors.Is(err, im.ErrNotFound), errors.Is(err, im.ErrConflict):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return im.ErrNotFound
	}
	if db.dialect.Classify != nil {
		if sentinel := db.dialect.Classify(err); sentinel != nil {
			return fmt.Errorf("%w: %w", sentinel, err)
		}
	}
	return err
}

// rebind rewrites ? placeholders for engines that number them. Question
// marks inside quoted literals or identifiers are left alone.
func (d *Dialect) rebind(query string) string {
	if !d.Numbered || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// maxInList bounds the IDs bound in one IN (...) list, well under both
// engines' parameter limits.
const maxInList = 500

// chunks splits ids into slices of at most maxInList.
func chunks(ids []string) [][]string {
	var out [][]string
	for len(ids) > maxInList {
		out = append(out, ids[:maxInList])
		ids = ids[maxInList:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

// ladderChunks is chunks for the reads that batch concurrent callers'
// IDs: each piece is padded (repeating its last ID, which an IN list
// ignores) to a power of two or maxInList, so the few statement texts
// stay prepared instead of one text per batch size filling the cache.
func ladderChunks(ids []string) [][]string {
	out := chunks(ids)
	for i, part := range out {
		n := 1
		for n < len(part) {
			n *= 2
		}
		n = min(n, maxInList)
		part = part[:len(part):len(part)] // pad a copy, never the caller's array
		for len(part) < n {
			part = append(part, part[len(part)-1])
		}
		out[i] = part
	}
	return out
}

// placeholders returns "?, ?, ?" for n parameters.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// appID converts an SDKAppID for binding: both engines store it as a signed
// BIGINT, and real SDKAppIDs are far below 2^63.
func appID(id uint64) int64 { return int64(id) }

// each runs fn for every row, then closes rows. It takes the query's error
// too, so a call site reads as one step: err = each(db.query(...)).
func each(rows *sql.Rows, err error, fn func(*sql.Rows) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// withIDs returns the leading arguments followed by ids, for a query
// ending in an IN list of placeholders(len(ids)).
func withIDs(ids []string, lead ...any) []any {
	args := make([]any, 0, len(lead)+len(ids))
	args = append(args, lead...)
	for _, id := range ids {
		args = append(args, id)
	}
	return args
}
