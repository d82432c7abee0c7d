package account

import (
	"context"
	"sync"
	"time"
)

// revocationTTL is how long a node trusts what it read of an account's
// kick time. A kick made through this node holds at once; one made through
// another node holds here at most this much later.
const revocationTTL = time.Second

// revocations caches the accounts' kick times for the REST transport, which
// checks every call's UserSig against them: a handful of admin accounts
// make every call, so the cache turns a store read per call into one per
// second per admin.
type revocations struct {
	mu      sync.Mutex
	entries map[revocationKey]revocation
}

type revocationKey struct {
	app  uint64
	user string
}

type revocation struct {
	before int64 // sigs issued before this Unix second are revoked
	until  time.Time
}

// RevokedBefore returns the Unix second before which userID's UserSigs are
// revoked by a kick (0 when never kicked). When the store does not answer,
// the last value read is used, whatever its age: REST calls keep working
// through a database outage as far as they can without it.
func (s *Service) RevokedBefore(ctx context.Context, appID uint64, userID string, now time.Time) (int64, error) {
	k := revocationKey{appID, userID}
	s.revoked.mu.Lock()
	e, ok := s.revoked.entries[k]
	s.revoked.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.before, nil
	}
	found, err := s.store.GetAccounts(ctx, appID, []string{userID})
	if err != nil {
		return e.before, err
	}
	s.remember(k, found[userID].LoginsRevokedBefore, now)
	return found[userID].LoginsRevokedBefore, nil
}

func (s *Service) remember(k revocationKey, before int64, now time.Time) {
	s.revoked.mu.Lock()
	defer s.revoked.mu.Unlock()
	if s.revoked.entries == nil {
		s.revoked.entries = map[revocationKey]revocation{}
	}
	s.revoked.entries[k] = revocation{before: before, until: now.Add(revocationTTL)}
}
