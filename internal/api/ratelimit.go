package api

import (
	"sync"
	"time"

	"github.com/chatd/chatd/internal/config"
)

// limiter enforces the per-app, per-API call rates of overview.md §3 with
// one token bucket per (app, path): capacity = rate, refilled at rate/s.
// Buckets are made at start-up, so the map is read-only while serving.
type limiter struct {
	buckets map[limitKey]*bucket
	now     func() time.Time
}

type limitKey struct {
	appID uint64
	path  string
}

type bucket struct {
	mu     sync.Mutex
	rate   float64
	tokens float64
	last   time.Time
}

func newLimiter(cfg config.Config, commands []Command, now func() time.Time) *limiter {
	l := &limiter{buckets: map[limitKey]*bucket{}, now: now}
	for _, app := range cfg.Apps {
		for _, c := range commands {
			rate := c.Rate
			if cfg.RateLimit != config.RateLimitSpec {
				rate = cfg.RateLimit
			}
			if r, ok := app.RateLimits[c.Path]; ok {
				rate = r
			}
			if rate <= 0 {
				continue // limiting off for this API
			}
			l.buckets[limitKey{app.SDKAppID, c.Path}] = &bucket{rate: float64(rate), tokens: float64(rate), last: now()}
		}
	}
	return l
}

// allow takes one token for the call, reporting false when none is left.
func (l *limiter) allow(appID uint64, path string) bool {
	b := l.buckets[limitKey{appID, path}]
	if b == nil {
		return true
	}
	now := l.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(b.rate, b.tokens+elapsed*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
