// Package sqlitetest gives a test a fresh SQLite store of its own, in a
// file under the test's temporary directory, closed when the test ends.
package sqlitetest

import (
	"path/filepath"
	"testing"

	"github.com/chatd/chatd/internal/store"
	"github.com/chatd/chatd/internal/store/sqlite"
)

// Open opens a fresh, migrated store for tb.
func Open(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := sqlite.Open(filepath.Join(tb.TempDir(), "chatd.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}
