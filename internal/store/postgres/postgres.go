// Package postgres opens chatd's store on PostgreSQL through pgx v5's
// database/sql driver, so the SQL in package store is shared with SQLite.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/store"
)

// Pool defaults, used for zero Options fields.
const (
	DefaultMaxOpenConns    = 20
	DefaultMaxIdleConns    = 10
	DefaultConnMaxLifetime = 30 * time.Minute
)

// Initial-connection retry: a server that is still starting (or a network
// that is not up yet when chatd and PostgreSQL start together) gets
// connectAttempts tries, the waits doubling from firstRetryDelay.
const (
	connectAttempts = 5
	firstRetryDelay = 250 * time.Millisecond
	attemptTimeout  = 5 * time.Second
)

// migrationLockKey names chatd's advisory lock ("chatd" in ASCII).
const migrationLockKey = 0x6368617464

// Options tunes the connection pool. Zero fields take the Default values.
type Options struct {
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxOpenConns <= 0 {
		o.MaxOpenConns = DefaultMaxOpenConns
	}
	if o.MaxIdleConns <= 0 {
		o.MaxIdleConns = min(DefaultMaxIdleConns, o.MaxOpenConns)
	}
	if o.ConnMaxLifetime <= 0 {
		o.ConnMaxLifetime = DefaultConnMaxLifetime
	}
	return o
}

var dialect = store.Dialect{
	Name:          "postgres",
	Numbered:      true,
	Classify:      classify,
	MigrationLock: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", migrationLockKey),
	ByteOrder:     ` COLLATE "C"`,
	CountInCommit: true,
}

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string), retrying a failed first connection a few times, and
// migrates it. Once open, a lost connection surfaces as an ordinary error
// from the call that hit it; database/sql replaces the connection for the
// next call.
func Open(ctx context.Context, dsn string, opts Options) (*store.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	sqldb := stdlib.OpenDB(*cfg)
	opts = opts.withDefaults()
	sqldb.SetMaxOpenConns(opts.MaxOpenConns)
	sqldb.SetMaxIdleConns(opts.MaxIdleConns)
	sqldb.SetConnMaxLifetime(opts.ConnMaxLifetime)

	delay := firstRetryDelay
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err = sqldb.PingContext(actx)
		cancel()
		if err == nil {
			break
		}
		if attempt == connectAttempts || !retryable(err) || ctx.Err() != nil {
			sqldb.Close()
			return nil, fmt.Errorf("postgres: open %s@%s:%d/%s (attempt %d): %w",
				cfg.User, cfg.Host, cfg.Port, cfg.Database, attempt, err)
		}
		select {
		case <-time.After(delay):
			delay *= 2
		case <-ctx.Done():
			sqldb.Close()
			return nil, fmt.Errorf("postgres: open: %w (last error: %v)", ctx.Err(), err)
		}
	}

	db := store.New(dialect, sqldb, sqldb)
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return db, nil
}

// retryable tells a server that is not reachable yet from one that
// answered with a definite refusal (bad password, no such database), which
// retrying will not fix.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return true // network-level: refused, timed out, DNS
	}
	// 57P03 cannot_connect_now: starting up or shutting down; class 08 is
	// connection exceptions.
	return pgErr.Code == "57P03" || strings.HasPrefix(pgErr.Code, "08")
}

// classify maps PostgreSQL constraint errors onto the im sentinels.
func classify(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return nil
	}
	switch pgErr.Code {
	case "23505": // unique_violation
		return im.ErrConflict
	case "23503": // foreign_key_violation
		return im.ErrNotFound
	}
	return nil
}
