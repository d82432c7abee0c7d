package api_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatd/chatd/internal/store"
	"github.com/chatd/chatd/internal/store/pgtest"
	"github.com/chatd/chatd/internal/store/postgres"
	"github.com/chatd/chatd/internal/store/sqlite"
)

// engineEnv names the store engine the tests of this process run on. The
// endpoint tests read and write the store through the whole REST path, so
// they run on both engines: on SQLite in the process `go test` starts, then
// on PostgreSQL in a child process started by TestMain.
const engineEnv = "CHATD_API_TEST_ENGINE"

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && os.Getenv(engineEnv) == "" {
		code = runOnPostgres()
	}
	os.Exit(code)
}

// runOnPostgres runs this test binary again, with the same flags, on
// PostgreSQL. The test log is left to the parent: go test's cache reads it.
func runOnPostgres() int {
	var args []string
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-test.testlogfile") {
			args = append(args, a)
		}
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), engineEnv+"=postgres")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		os.Stderr.WriteString("internal/api tests on PostgreSQL: " + err.Error() + "\n")
		return 1
	}
	return 0
}

// newStoreLocation is where a test's store lives: a SQLite file, or a
// fresh PostgreSQL database. Opening it twice (the restart test) sees the
// same data.
func newStoreLocation(t *testing.T) string {
	t.Helper()
	if os.Getenv(engineEnv) == "postgres" {
		return pgtest.NewDatabase(t)
	}
	return filepath.Join(t.TempDir(), "chatd.db")
}

// openStore opens a location from newStoreLocation.
func openStore(location string) (*store.DB, error) {
	if os.Getenv(engineEnv) == "postgres" {
		return postgres.Open(context.Background(), location, postgres.Options{})
	}
	return sqlite.Open(location)
}
