package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/testcache"
)

// TestMain lets the test binary serve as the baselines, as the bench
// binary does: the harness re-executes os.Executable with a hidden
// subcommand.
func TestMain(m *testing.M) {
	if ok, err := runHidden(os.Args[1:]); ok {
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestAllScenariosAtToySize runs every scenario at a size that only proves
// the harness works end to end: it checks that each completes and prints
// its report lines, never how fast anything was. send runs on SQLite only:
// its PostgreSQL phases are the same code with another --store and would
// double the test's time. churn runs its clusters on the local PostgreSQL
// and NATS, as the e2e tests do.
func TestAllScenariosAtToySize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds chatd and starts servers")
	}
	testcache.DependOnServerSource("..") // the harness builds chatd from it
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, progress bytes.Buffer
	args := []string{"all", "--pin=false", "--sources", "4", "--duration", "500ms",
		"--rest-members", "50", "--rest-clients", "8", "--rest-warmup", "100ms", "--rest-rounds", "2",
		"--counts", "50", "--settle", "100ms",
		"--members", "50", "--fanout-baseline",
		"--churn-rate", "200", "--churn-pool", "20", "--churn-viewers", "40,60", "--churn-interval", "200ms",
		"--send-engines", "sqlite", "--send-conns", "8", "--send-rest-conns", "4", "--send-pairs", "4", "--send-rate", "40", "--send-warmup", "100ms"}
	if err := run(ctx, args, &out, &progress, false); err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nprogress:\n%s", err, out.String(), progress.String())
	}
	report := out.String()
	for _, want := range []string{
		"== rest ==", "requests/s", "latency p99",
		"== conns ==", "server RSS per idle conn", "logins/s, returning user",
		"== fanout ==", "deliveries/s",
		"== churn ==", "exact polls", "polls not explained by ops in flight",
		"2 nodes (PostgreSQL + NATS)", "presence bytes per join or quit",
		"== send ==", "durable sends/s", "send-to-receipt latency p99",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

// TestHistogramQuantiles checks the bucket arithmetic the latency figures
// rest on.
func TestHistogramQuantiles(t *testing.T) {
	h := &histogram{}
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}} {
		got := h.quantile(tc.q)
		if diff := float64(got-tc.want) / float64(tc.want); diff < -0.07 || diff > 0.07 {
			t.Errorf("quantile(%v) = %v, want %v ± 7%%", tc.q, got, tc.want)
		}
	}
	for _, v := range []uint64{0, 1, 15, 16, 17, 31, 32, 1000, 1 << 40, 1<<64 - 1} {
		if b := bucketOf(v); b < 0 || b >= histBuckets {
			t.Errorf("bucketOf(%d) = %d, out of range", v, b)
		}
	}
}

// TestParseCounts covers the --counts and --members syntax.
func TestParseCounts(t *testing.T) {
	got, err := parseCounts("50000, 10000")
	if err != nil || len(got) != 2 || got[0] != 10000 || got[1] != 50000 {
		t.Fatalf("parseCounts = %v, %v", got, err)
	}
	if _, err := parseCounts("10k"); err == nil {
		t.Fatal("parseCounts accepted 10k")
	}
}
