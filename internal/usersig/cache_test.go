package usersig

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/im"
)

// clock is an injectable, settable time source for Verifier tests.
type clock struct{ sec atomic.Int64 }

func newClock(sec int64) *clock {
	c := &clock{}
	c.sec.Store(sec)
	return c
}

func (c *clock) now() time.Time { return time.Unix(c.sec.Load(), 0) }

// TestVerifierMatchesVerify replays every call twice (miss, then hit) and
// demands the package-level answer both times, including for the calls
// that differ from a cached success only by key, app or identifier.
func TestVerifierMatchesVerify(t *testing.T) {
	calls := []struct {
		key        string
		app        uint64
		identifier string
		sig        string
	}{
		{keyA, appA, "administrator", sigALevel0},
		{keyA, appA, "administrator", sigAPy},
		{keyA + "x", appA, "administrator", sigALevel0}, // rotated key
		{keyA, appA + 1, "administrator", sigALevel0},
		{keyA, appA, "admin", sigALevel0},
		{keyA, appA, identB, sigB},
		{keyA, appA, "administrator", ""},
		{keyA, appA, "administrator", "abc$"},
	}
	for _, at := range []int64{1600000000, timeA, 1700086400, 1700086401, 1715552000, 1715552001} {
		clk := newClock(at)
		v := NewVerifier(16, clk.now)
		for round := range 2 {
			for i, c := range calls {
				want := codeOf(Verify(c.key, c.app, c.identifier, c.sig, clk.now()))
				got := codeOf(v.Verify(c.key, c.app, c.identifier, c.sig))
				if got != want {
					t.Errorf("now %d round %d call %d: Verifier %d, Verify %d", at, round, i, got, want)
				}
			}
		}
	}
}

func TestVerifierExpiresCachedEntry(t *testing.T) {
	clk := newClock(timeA)
	v := NewVerifier(4, clk.now)
	if err := v.Verify(keyA, appA, "administrator", sigALevel0); err != nil {
		t.Fatalf("first Verify = %v", err)
	}
	if v.Len() != 1 {
		t.Fatalf("Len = %d after a success, want 1", v.Len())
	}
	clk.sec.Store(1715552000) // last valid second, served from the cache
	c, err := v.Check(keyA, appA, "administrator", sigALevel0)
	if err != nil || c.Time != timeA || c.Expire != expireA {
		t.Fatalf("cached Check at last second = %+v, %v", c, err)
	}
	clk.sec.Store(1715552001)
	if got := codeOf(v.Verify(keyA, appA, "administrator", sigALevel0)); got != im.CodeSigExpired {
		t.Fatalf("cached entry after expiry: code %d, want %d", got, im.CodeSigExpired)
	}
	if v.Len() != 0 {
		t.Errorf("expired entry still cached (Len %d)", v.Len())
	}
	// Moving the clock back must verify afresh, not resurrect anything.
	clk.sec.Store(timeA)
	if err := v.Verify(keyA, appA, "administrator", sigALevel0); err != nil {
		t.Errorf("Verify after clock reset = %v", err)
	}
}

func TestVerifierBounded(t *testing.T) {
	const capacity = 3
	clk := newClock(timeA)
	v := NewVerifier(capacity, clk.now)
	sigs := make([]string, 10)
	for i := range sigs {
		sigs[i] = Generate(keyA, appA, fmt.Sprintf("u%d", i), 3600, clk.now())
		if err := v.Verify(keyA, appA, fmt.Sprintf("u%d", i), sigs[i]); err != nil {
			t.Fatalf("Verify u%d = %v", i, err)
		}
		if v.Len() > capacity {
			t.Fatalf("Len = %d after %d inserts, capacity %d", v.Len(), i+1, capacity)
		}
	}
	if v.Len() != capacity {
		t.Errorf("Len = %d, want %d", v.Len(), capacity)
	}
	// Least recently used goes first: touch u7, insert one more, and u8
	// (not u7) must be the one evicted.
	v.Verify(keyA, appA, "u7", sigs[7])
	extra := Generate(keyA, appA, "extra", 3600, clk.now())
	v.Verify(keyA, appA, "extra", extra)
	v.mu.Lock()
	_, has7 := v.entries[cacheKey{keyA, appA, "u7", sigs[7]}]
	_, has8 := v.entries[cacheKey{keyA, appA, "u8", sigs[8]}]
	v.mu.Unlock()
	if !has7 || has8 {
		t.Errorf("after touching u7: cached u7=%v u8=%v, want true false", has7, has8)
	}
	// Failures are never cached.
	v.Verify(keyA+"x", appA, "u9", sigs[9])
	v.Verify(keyA, appA, "u9", "abc$")
	if v.Len() != capacity {
		t.Errorf("Len = %d after failures, want %d", v.Len(), capacity)
	}
}

func TestVerifierDisabled(t *testing.T) {
	clk := newClock(timeA)
	for _, capacity := range []int{0, -1} {
		v := NewVerifier(capacity, clk.now)
		if err := v.Verify(keyA, appA, "administrator", sigALevel0); err != nil {
			t.Errorf("capacity %d: Verify = %v", capacity, err)
		}
		if v.Len() != 0 {
			t.Errorf("capacity %d: Len = %d, want 0", capacity, v.Len())
		}
	}
	if NewVerifier(1, nil).now == nil {
		t.Error("nil clock not defaulted")
	}
}

// TestVerifierConcurrent is for the race detector: many goroutines hitting
// and evicting the same small cache.
func TestVerifierConcurrent(t *testing.T) {
	clk := newClock(timeA)
	v := NewVerifier(2, clk.now)
	sigs := []string{sigALevel0, sigAPy, sigALevel6}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				s := sigs[(g+i)%len(sigs)]
				if err := v.Verify(keyA, appA, "administrator", s); err != nil {
					t.Errorf("Verify = %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if v.Len() > 2 {
		t.Errorf("Len = %d, capacity 2", v.Len())
	}
}
