// Package pgtest gives tests a fresh PostgreSQL database each, on the local
// server named by CHATD_TEST_POSTGRES, so parallel tests and packages never
// see each other's rows.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// EnvDSN names the variable holding the DSN of a database the tests may
// CREATE DATABASE from.
const EnvDSN = "CHATD_TEST_POSTGRES"

// DefaultDSN is the local trust-auth server used when EnvDSN is unset.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminDSN returns the DSN tests create their databases through.
func AdminDSN() string {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return dsn
	}
	return DefaultDSN
}

// NewDatabase creates an empty database chatd_test_<random>, drops it when
// the test ends, and returns its DSN. When PostgreSQL cannot be reached the
// test fails if CI=true and is skipped otherwise: on CI a missing database
// must not turn the suite silently green.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	admin := AdminDSN()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	db, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatalf("pgtest: %s=%q: %v", EnvDSN, admin, err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		msg := fmt.Sprintf("pgtest: PostgreSQL not reachable at %s (set %s): %v", redact(admin), EnvDSN, err)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg + "; skipping (set CI=true to fail instead)")
	}

	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics rather than erring)
	name := "chatd_test_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := sql.Open("pgx", admin)
		if err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer db.Close()
		// FORCE ends connections a test leaked, so the drop cannot hang.
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	dsn, err := withDatabase(admin, name)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// withDatabase returns dsn pointed at database name. Both DSN forms are
// handled: URLs get a new path; in key=value strings a later dbname wins.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse %s: %w", EnvDSN, err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	return dsn + " dbname=" + name, nil
}

var keywordPassword = regexp.MustCompile(`password=('[^']*'|\S+)`)

// redact hides a password in a DSN before it reaches a test log.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return keywordPassword.ReplaceAllString(dsn, "password=xxxxx")
	}
	if u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
