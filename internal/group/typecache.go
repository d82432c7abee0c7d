package group

import (
	"context"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/im"
)

// Type cache bounds. A group's type never changes while it exists, so the
// only staleness is existence: a group created or destroyed through another
// node is seen here at most typeTTL later. This node's own creates and
// destroys update the cache at once.
const (
	typeTTL        = time.Second
	typeCacheLimit = 100_000
)

type typeKey struct {
	appID   uint64
	groupID string
}

type typeEntry struct {
	t       im.GroupType // "" when the group does not exist
	expires time.Time
}

// typeCache remembers group types (and absence) for typeTTL.
type typeCache struct {
	mu      sync.RWMutex
	entries map[typeKey]typeEntry
	now     func() time.Time
}

func newTypeCache(now func() time.Time) *typeCache {
	return &typeCache{entries: map[typeKey]typeEntry{}, now: now}
}

func (c *typeCache) get(k typeKey) (im.GroupType, bool) {
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if !ok || c.now().After(e.expires) {
		return "", false
	}
	return e.t, true
}

func (c *typeCache) put(k typeKey, t im.GroupType) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= typeCacheLimit {
		// Dropping everything is cheap and rare: the map refills with the
		// rooms that are actually polled.
		c.entries = map[typeKey]typeEntry{}
	}
	c.entries[k] = typeEntry{t: t, expires: c.now().Add(typeTTL)}
}

// groupType returns the group's type with the errors of Get (10004, 10015,
// 10010), from the cache when it is fresh.
func (s *Service) groupType(ctx context.Context, appID uint64, groupID string) (im.GroupType, error) {
	k := typeKey{appID, groupID}
	if t, ok := s.types.get(k); ok {
		if t == "" {
			return "", im.Errorf(im.CodeGroupNotFound, "group %s does not exist", groupID)
		}
		return t, nil
	}
	g, err := s.Get(ctx, appID, groupID)
	switch {
	case err == nil:
		s.types.put(k, g.Type)
		return g.Type, nil
	case im.CodeOf(err) == im.CodeGroupNotFound:
		s.types.put(k, "")
	}
	// Any other failure (a store error carries no wire code) is not cached.
	return "", err
}
