package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/ops"
)

// probeTimeout bounds one run of a Check's Probe: a database that does not
// answer within it is as good as down for a caller.
const probeTimeout = time.Second

// Check is one dependency a node needs to serve: /readyz answers 503 while
// any check fails.
type Check struct {
	// Name labels the check in the answers and the log ("store", "bus").
	Name string
	// Probe returns nil while the dependency works. Its context ends after
	// probeTimeout.
	Probe func(ctx context.Context) error
	// Every, when positive, reuses a result for that long, so a load
	// balancer polling /readyz is no load on the dependency. Such a probe
	// runs once at a time, and callers meanwhile get the previous result,
	// so a dependency that hangs delays one caller, not all of them. Zero
	// probes on every call, for checks that cost nothing.
	Every time.Duration
}

// Handler routes the REST API plus the non-v4 endpoints. It matches exact
// paths rather than using http.ServeMux, whose path cleaning answers "//"
// or "/./" with a redirect instead of the envelope.
//
//   - /healthz is liveness: 200 while the node serves (503 before it starts
//     and while it drains, when ready reports false), whatever its
//     dependencies do. The body names the checks known to fail, so a
//     degraded node (NATS down) says so; it never waits on a probe, it
//     reads the latest result of a cached one.
//   - /readyz is readiness, for load balancers: 200 only while the node
//     serves and every check passes.
func Handler(api *Server, gateway http.Handler, ready func() bool, checks ...Check) http.Handler {
	probes := make([]*probe, len(checks))
	for i, c := range checks {
		probes[i] = &probe{Check: c, log: api.log}
	}
	health := func(w http.ResponseWriter, r *http.Request, readiness bool) {
		if !ready() {
			http.Error(w, "not serving", http.StatusServiceUnavailable)
			return
		}
		var failed strings.Builder
		for _, p := range probes {
			if err := p.result(r.Context(), api.now(), readiness); err != nil {
				failed.WriteString(p.Name + ": " + err.Error() + "\n")
			}
		}
		switch {
		case !readiness:
			_, _ = io.WriteString(w, "ok\n"+failed.String())
		case failed.Len() > 0:
			http.Error(w, strings.TrimSuffix(failed.String(), "\n"), http.StatusServiceUnavailable)
		default:
			_, _ = io.WriteString(w, "ready\n")
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/healthz":
			health(w, r, false)
		case r.URL.Path == "/readyz":
			health(w, r, true)
		case r.URL.Path == "/v4/ws" && gateway != nil:
			gateway.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, ops.ArchivePath) && api.archives != nil:
			api.serveArchive(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
}

// errUnavailable is what a failing check shows: the probe's own error may
// name internal hosts and users, so it goes only to the log.
type errUnavailable struct{}

func (errUnavailable) Error() string { return "unavailable" }

// probe runs one Check and remembers its latest result.
type probe struct {
	Check
	log *slog.Logger

	mu      sync.Mutex
	err     error // latest result, nil before the first run
	at      time.Time
	ran     bool
	running bool
}

// result returns the check's state at now. run false only reads the
// latest result of a cached check (a check with Every zero always runs).
func (p *probe) result(ctx context.Context, now time.Time, run bool) error {
	if p.Every > 0 {
		p.mu.Lock()
		if !run || p.running || p.ran && now.Sub(p.at) < p.Every {
			err := p.err
			p.mu.Unlock()
			return err
		}
		p.running = true
		p.mu.Unlock()
	}
	// A caller that hangs up must not leave a cancelled probe as the
	// cached result.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
	err := p.Probe(ctx)
	cancel()

	p.mu.Lock()
	defer p.mu.Unlock()
	was := p.err
	if err != nil {
		p.err = errUnavailable{}
	} else {
		p.err = nil
	}
	p.at, p.ran, p.running = now, true, false
	switch {
	case err != nil && was == nil:
		p.log.Error("health: dependency failing; /readyz answers 503", "check", p.Name, "err", err)
	case err == nil && was != nil:
		p.log.Info("health: dependency back", "check", p.Name)
	}
	return p.err
}
