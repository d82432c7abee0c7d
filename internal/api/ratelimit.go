package api

import (
	"sync/atomic"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/ratelimit"
)

// limiter enforces the call rates of overview.md §3 for the whole cluster:
// per app and API, and, where an app sets one, per app over all APIs
// (config.AppWideLimit). The rates are fixed at start-up; the buckets are
// ratelimit's, which share each rate among the live nodes.
type limiter struct {
	rates   map[limitKey]float64 // absent: no limit
	buckets *ratelimit.Limiter[limitKey]
	nodes   atomic.Pointer[func() int] // nil: this node alone
}

// limitKey names a bucket; an empty path is the app-wide one.
type limitKey struct {
	appID uint64
	path  string
}

func newLimiter(cfg config.Config, commands []Command, now func() time.Time) *limiter {
	l := &limiter{rates: map[limitKey]float64{}}
	l.buckets = ratelimit.New[limitKey](ratelimit.Options{Now: now, Nodes: l.nodeCount})
	for _, app := range cfg.Apps {
		if n := app.RequestLimit(); n > 0 {
			l.rates[limitKey{app.SDKAppID, ""}] = float64(n)
		}
		for _, c := range commands {
			rate := c.Rate
			if cfg.RateLimit != config.RateLimitSpec {
				rate = cfg.RateLimit
			}
			if r, ok := app.RateLimits[c.Path]; ok {
				rate = r
			}
			if rate > 0 { // 0 turns limiting off for this API
				l.rates[limitKey{app.SDKAppID, c.Path}] = float64(rate)
			}
		}
	}
	return l
}

func (l *limiter) nodeCount() int {
	if f := l.nodes.Load(); f != nil {
		return (*f)()
	}
	return 1
}

// allowApp takes one call from the app-wide budget (true when the app has
// none). It is checked before the per-API limit, so every authenticated
// call counts against it, refused ones included.
func (l *limiter) allowApp(appID uint64) bool {
	return l.allow(appID, "")
}

// allow takes one call of the API at path, reporting false when its rate
// is used up.
func (l *limiter) allow(appID uint64, path string) bool {
	k := limitKey{appID, path}
	return l.buckets.Allow(k, l.rates[k])
}

// ShareLimits makes every rate limit hold for the cluster as a whole:
// nodes reports the live nodes, this one included (presence.Cluster.Nodes),
// and each node allows its equal share. Call it before serving; without
// it the limits are this node's alone.
func (s *Server) ShareLimits(nodes func() int) {
	s.limiter.nodes.Store(&nodes)
}

// Limit is the per-second limit of the API at path for the app (its own,
// else --rate-limit, else the documented one); 0 is none.
func (s *Server) Limit(appID uint64, path string) int {
	return int(s.limiter.rates[limitKey{appID, path}])
}
