package api_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/api"
	"github.com/chatd/chatd/internal/config"
)

// healthServer is a Handler with no commands, a settable clock and
// settable readiness, for the health endpoints.
type healthServer struct {
	h       http.Handler
	serving atomic.Bool
	clock   *clock
}

func newHealthServer(t *testing.T, checks ...api.Check) *healthServer {
	t.Helper()
	hs := &healthServer{clock: &clock{t: time.Unix(1700000000, 0)}}
	hs.serving.Store(true)
	srv, err := api.NewServer(api.Options{
		Config: config.Config{},
		Now:    hs.clock.Now,
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hs.h = api.Handler(srv, nil, hs.serving.Load, checks...)
	return hs
}

func (hs *healthServer) get(path string) (int, string) {
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w.Code, w.Body.String()
}

// settable is a Probe whose answer a test sets, counting its runs.
type settable struct {
	fail atomic.Bool
	runs atomic.Int32
}

func (s *settable) probe(context.Context) error {
	s.runs.Add(1)
	if s.fail.Load() {
		return errors.New("dial tcp db.internal:5432: connection refused")
	}
	return nil
}

func TestHealthAndReadiness(t *testing.T) {
	var store, bus settable
	hs := newHealthServer(t,
		api.Check{Name: "store", Probe: store.probe, Every: time.Second},
		api.Check{Name: "bus", Probe: bus.probe})
	tests := []struct {
		name                  string
		serving, storeF, busF bool
		healthCode, readyCode int
		healthBody, readyBody string
	}{
		{"all well", true, false, false, 200, 200, "ok\n", "ready\n"},
		// A degraded node is alive: only readiness turns it away.
		{"bus down", true, false, true, 200, 503, "ok\nbus: unavailable\n", "bus: unavailable\n"},
		{"store down", true, true, false, 200, 503, "ok\nstore: unavailable\n", "store: unavailable\n"},
		{"both down", true, true, true, 200, 503, "ok\nstore: unavailable\nbus: unavailable\n", "store: unavailable\nbus: unavailable\n"},
		{"draining", false, false, false, 503, 503, "not serving\n", "not serving\n"},
	}
	for _, tt := range tests {
		hs.serving.Store(tt.serving)
		store.fail.Store(tt.storeF)
		bus.fail.Store(tt.busF)
		hs.clock.Advance(time.Second) // the cached store result expires
		// /readyz first: /healthz only reads the store's latest result.
		if code, body := hs.get("/readyz"); code != tt.readyCode || body != tt.readyBody {
			t.Errorf("%s: /readyz = %d %q, want %d %q", tt.name, code, body, tt.readyCode, tt.readyBody)
		}
		if code, body := hs.get("/healthz"); code != tt.healthCode || body != tt.healthBody {
			t.Errorf("%s: /healthz = %d %q, want %d %q", tt.name, code, body, tt.healthCode, tt.healthBody)
		}
	}
}

// TestReadinessCache checks that a cached check runs at most once per
// period however often it is polled, that /healthz never runs it, and that
// callers do not queue behind a probe that hangs.
func TestReadinessCache(t *testing.T) {
	var store settable
	entered, release := make(chan struct{}), make(chan struct{})
	var hang atomic.Bool
	probe := func(ctx context.Context) error {
		if hang.Load() {
			entered <- struct{}{}
			<-release
		}
		return store.probe(ctx)
	}
	hs := newHealthServer(t, api.Check{Name: "store", Probe: probe, Every: time.Second})

	for range 5 {
		hs.get("/readyz")
	}
	if n := store.runs.Load(); n != 1 {
		t.Fatalf("5 polls within the period ran the probe %d times, want 1", n)
	}
	store.fail.Store(true)
	hs.get("/healthz")
	if n := store.runs.Load(); n != 1 {
		t.Fatalf("/healthz ran the probe")
	}
	if code, _ := hs.get("/readyz"); code != 200 {
		t.Fatalf("/readyz within the period = %d, want the cached 200", code)
	}
	hs.clock.Advance(time.Second)
	if code, _ := hs.get("/readyz"); code != 503 {
		t.Fatalf("/readyz after the period with the store down = %d, want 503", code)
	}

	// The store hangs: one caller waits for the probe, the others get the
	// latest result at once.
	hang.Store(true)
	store.fail.Store(false)
	hs.clock.Advance(time.Second)
	first := make(chan int)
	go func() {
		code, _ := hs.get("/readyz")
		first <- code
	}()
	<-entered
	if code, body := hs.get("/readyz"); code != 503 || !strings.Contains(body, "store: unavailable") {
		t.Fatalf("/readyz while a probe hangs = %d %q, want the latest result (503)", code, body)
	}
	close(release)
	if code := <-first; code != 200 {
		t.Fatalf("the probing caller got %d once the store answered, want 200", code)
	}
	if code, _ := hs.get("/readyz"); code != 200 {
		t.Fatalf("/readyz after the store answered = %d, want 200", code)
	}
}
