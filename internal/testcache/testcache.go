// Package testcache ties go test's result cache to the server's source, for
// tests that build and run the chatd binary.
//
// go test caches a package's result by what its test binary imports and by
// the files and environment its tests read. A binary built at test time from
// source the tests do not import is invisible to that cache, so a change to
// the server alone would be answered with the cached result.
package testcache

import (
	"io/fs"
	"os"
	"path/filepath"
)

// DependOnServerSource opens every file chatd is built from (cmd/, internal/,
// go.mod, go.sum below moduleRoot), which records them as inputs of the
// running test. Call it from a test, not from TestMain: only opens made
// while tests run are recorded.
func DependOnServerSource(moduleRoot string) {
	for _, part := range []string{"cmd", "internal", "go.mod", "go.sum"} {
		_ = filepath.WalkDir(filepath.Join(moduleRoot, part), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if f, err := os.Open(path); err == nil {
					f.Close()
				}
			}
			return nil
		})
	}
}
