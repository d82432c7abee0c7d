package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	tests := []struct {
		name, in, numbered string
	}{
		{"none", `SELECT 1`, `SELECT 1`},
		{"several", `SELECT a FROM t WHERE x = ? AND y IN (?, ?)`, `SELECT a FROM t WHERE x = $1 AND y IN ($2, $3)`},
		{"quoted literal", `SELECT '?' || ? FROM "a?b" WHERE z = ?`, `SELECT '?' || $1 FROM "a?b" WHERE z = $2`},
		{"escaped quote", `SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
	}
	pg := &Dialect{Numbered: true}
	lite := &Dialect{}
	for _, tt := range tests {
		if got := pg.rebind(tt.in); got != tt.numbered {
			t.Errorf("%s: numbered rebind = %q, want %q", tt.name, got, tt.numbered)
		}
		if got := lite.rebind(tt.in); got != tt.in {
			t.Errorf("%s: plain rebind changed the query to %q", tt.name, got)
		}
	}
}

// TestMigrations checks the migration table resolves for every engine:
// numbered without gaps, one name per version, a file for each engine.
func TestMigrations(t *testing.T) {
	var first []migration
	for _, engine := range engines {
		ms, err := migrations(engine)
		if err != nil {
			t.Fatalf("%s: %v", engine, err)
		}
		if len(ms) == 0 {
			t.Fatalf("%s: no migrations", engine)
		}
		for i, m := range ms {
			if m.Version != i+1 || strings.TrimSpace(m.SQL) == "" {
				t.Errorf("%s: migration %d is %04d_%s with %d bytes", engine, i+1, m.Version, m.Name, len(m.SQL))
			}
		}
		if first == nil {
			first = ms
		} else if len(ms) != len(first) {
			t.Errorf("%s has %d migrations, %s has %d", engine, len(ms), engines[0], len(first))
		}
	}
	if _, err := migrations("oracle"); err == nil {
		t.Error("an engine without its own files for 0002 resolved")
	}
}

func TestChunks(t *testing.T) {
	ids := make([]string, 2*maxInList+1)
	got := chunks(ids)
	if len(got) != 3 || len(got[0]) != maxInList || len(got[2]) != 1 {
		t.Fatalf("chunks of %d: %d chunks", len(ids), len(got))
	}
	if chunks(nil) != nil {
		t.Fatal("chunks(nil) is not empty")
	}
}

// TestLadderChunks: pieces are padded with their last ID to a power of
// two (or maxInList), and the caller's array is never written.
func TestLadderChunks(t *testing.T) {
	backing := make([]string, 0, 2000)
	for i := range 600 {
		backing = append(backing, fmt.Sprint(i))
	}
	ids := backing[:503]
	spare := slices.Clone(backing[503:600])
	var lens []int
	for _, part := range ladderChunks(ids) {
		lens = append(lens, len(part))
		if last := part[len(part)-1]; last != ids[min(len(ids), 500*len(lens))-1] {
			t.Errorf("piece %d padded with %s", len(lens), last)
		}
	}
	if !slices.Equal(lens, []int{500, 4}) {
		t.Fatalf("piece lengths %v, want [500 4]", lens)
	}
	if !slices.Equal(backing[503:600], spare) {
		t.Fatal("padding wrote into the caller's array")
	}
}

func TestKVRoundTrip(t *testing.T) {
	for _, s := range []string{"", "[]", "null"} {
		kv, err := decodeKV(s)
		if err != nil || kv != nil {
			t.Errorf("decodeKV(%q) = %v, %v; want nil", s, kv, err)
		}
	}
	if _, err := decodeKV("{"); err == nil {
		t.Error("decodeKV accepted broken JSON")
	}
}
