package usersig

import (
	"bytes"
	"container/list"
	"sync"
	"time"
)

// Verifier caches successful verifications so repeated REST calls with the
// same admin sig skip base64, zlib and HMAC: an admin tool typically reuses
// one sig for months. Only successes are cached; a failure is recomputed
// every time, so a cache can never turn a bad sig good.
//
// The cache key holds the secret key, the sdkappid, the identifier and the
// sig itself, so rotating an app's key can never hit an entry verified
// under the old one, and the entry keeps its expiry instant so an expired
// sig is still refused with 70001 on a hit. Safe for concurrent use.
type Verifier struct {
	capacity int
	now      func() time.Time

	mu      sync.Mutex
	entries map[cacheKey]*list.Element // values are *cacheEntry
	lru     *list.List                 // front = most recently used
}

// cacheKey compares every input that decides the outcome except the clock.
// It keeps the full strings rather than a hash: Go hashes map string keys
// fast, and a collision-free key needs no proof.
type cacheKey struct {
	key        string
	sdkAppID   uint64
	identifier string
	sig        string
}

type cacheEntry struct {
	k         cacheKey
	claims    Claims
	expiresAt int64 // last valid Unix second, as Claims.ExpiresAt
}

// NewVerifier returns a Verifier holding at most capacity successful
// verifications, evicting the least recently used. A capacity below 1
// disables caching, which keeps the call sites the same when an operator
// turns it off. now is the clock (time.Now when nil); tests inject one.
func NewVerifier(capacity int, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	if capacity < 0 {
		capacity = 0
	}
	return &Verifier{
		capacity: capacity,
		now:      now,
		entries:  make(map[cacheKey]*list.Element),
		lru:      list.New(),
	}
}

// Verify is the package-level Verify at the Verifier's clock, answered from
// the cache when the same inputs verified before.
func (v *Verifier) Verify(key string, sdkAppID uint64, identifier, sig string) error {
	_, err := v.Check(key, sdkAppID, identifier, sig)
	return err
}

// Check is the package-level Check at the Verifier's clock, answered from
// the cache when the same inputs verified before.
func (v *Verifier) Check(key string, sdkAppID uint64, identifier, sig string) (Claims, error) {
	now := v.now()
	if v.capacity == 0 || sig == "" {
		return Check(key, sdkAppID, identifier, sig, now)
	}
	k := cacheKey{key: key, sdkAppID: sdkAppID, identifier: identifier, sig: sig}
	if c, hit, err := v.lookup(k, now.Unix()); hit {
		return c, err
	}
	c, err := Check(key, sdkAppID, identifier, sig, now)
	if err == nil {
		v.store(k, c)
	}
	return c, err
}

// lookup answers from the cache. An expired entry is dropped and reported
// as a hit with 70001: sdkappid and identifier match by construction, so
// step 7 is the first check that can fail, exactly as a full Verify would.
func (v *Verifier) lookup(k cacheKey, now int64) (Claims, bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	el, ok := v.entries[k]
	if !ok {
		return Claims{}, false, nil
	}
	e := el.Value.(*cacheEntry)
	if now > e.expiresAt {
		v.lru.Remove(el)
		delete(v.entries, k)
		return Claims{}, true, errExpired()
	}
	v.lru.MoveToFront(el)
	c := e.claims
	// Callers get their own copy so one request cannot alter what the
	// next one sees.
	c.UserBuf = bytes.Clone(c.UserBuf)
	return c, true, nil
}

func (v *Verifier) store(k cacheKey, c Claims) {
	v.mu.Lock()
	defer v.mu.Unlock()
	// Two goroutines may verify the same sig concurrently; the second
	// insert only refreshes the entry.
	if el, ok := v.entries[k]; ok {
		v.lru.MoveToFront(el)
		return
	}
	for v.lru.Len() >= v.capacity {
		oldest := v.lru.Back()
		v.lru.Remove(oldest)
		delete(v.entries, oldest.Value.(*cacheEntry).k)
	}
	c.UserBuf = bytes.Clone(c.UserBuf)
	v.entries[k] = v.lru.PushFront(&cacheEntry{k: k, claims: c, expiresAt: c.ExpiresAt()})
}

// Len reports how many verifications are cached, for metrics and tests.
func (v *Verifier) Len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.lru.Len()
}
