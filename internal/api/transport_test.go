package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/api"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/usersig"
)

// waitTimeout is a failure deadline for what must happen promptly; passing
// runs never approach it.
const waitTimeout = 10 * time.Second

// TestRepeatedContentType: like every other common parameter, the first
// contenttype decides (overview.md §1.2 names no rule for repeats).
func TestRepeatedContentType(t *testing.T) {
	ts := newTestServer(t)
	base := "sdkappid=" + strconv.Itoa(testAppID) + "&identifier=" + testAdmin + "&usersig=" + ts.sig
	const body = `{"CheckItem":[{"UserID":"alice"}]}`
	tests := []struct {
		query string
		want  int
	}{
		{base + "&contenttype=json&contenttype=xml", 0},
		{base + "&contenttype=json&contenttype=json", 0},
		{base + "&contenttype=xml&contenttype=json", 60025},
		{base + "&identifier=bob&contenttype=json", 0}, // the first identifier wins too
	}
	for _, tt := range tests {
		t.Run(tt.query[len(base):], func(t *testing.T) {
			ts.must(t, pathCheck, body, tt.want, withRawQuery(tt.query))
		})
	}
}

// rawPost writes one POST by hand, the way curl does by default for a
// large body: Expect: 100-continue, then the body once the server asks for
// it, written in full whatever the server does meanwhile.
func rawPost(t *testing.T, addr, target string, body []byte) (*http.Response, []byte) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(waitTimeout))
	fmt.Fprintf(nc, "POST %s HTTP/1.1\r\nHost: chatd\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", target, len(body))
	br := bufio.NewReader(nc)
	line, err := br.ReadString('\n')
	if err != nil || !strings.Contains(line, " 100 ") {
		t.Fatalf("want 100 Continue, got %q %v", line, err)
	}
	if _, err := br.ReadString('\n'); err != nil { // the blank line after it
		t.Fatal(err)
	}
	written := make(chan struct{})
	go func() {
		defer close(written)
		_, _ = nc.Write(body) // the server may stop reading: errors are expected
	}()
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no reply, the connection failed: %v", err)
	}
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reply body: %v", err)
	}
	// A server that closes a socket with the body unread sends a reset,
	// which a client still sending (curl) gets instead of the reply; the
	// graceful close sends the end of the stream first.
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("after the reply: %v, want the end of the stream (a graceful close)", err)
	}
	_ = nc.Close()
	<-written
	return res, raw
}

// TestOversizedBodyGetsEnvelope: a body over the cap is answered with 60002
// even while the client is still sending it, not with a reset: net/http
// closes gracefully (lingering close) when the body was cut by
// MaxBytesReader, so the client can read the reply before the connection
// goes.
func TestOversizedBodyGetsEnvelope(t *testing.T) {
	const maxBody = 64 << 10
	ts := newTestServer(t, withMaxBody(maxBody))
	target := pathCheck + "?sdkappid=" + strconv.Itoa(testAppID) + "&identifier=" + testAdmin + "&usersig=" + ts.sig
	body := bytes.Repeat([]byte("x"), 16*maxBody)
	for i := range 5 {
		res, raw := rawPost(t, strings.TrimPrefix(ts.http.URL, "http://"), target, body)
		var env map[string]any
		if err := json.Unmarshal(raw, &env); err != nil || res.StatusCode != http.StatusOK || env["ErrorCode"] != float64(60002) {
			t.Fatalf("call %d: HTTP %d %s, want the 60002 envelope", i, res.StatusCode, raw)
		}

	}
}

// servedHTTP serves the REST API of ts through api.NewHTTPServer with the
// given timeouts, as chatd does, and returns its address.
func servedHTTP(t *testing.T, ts *testServer, tm api.Timeouts) (*http.Server, string) {
	t.Helper()
	srv := api.NewHTTPServer(ts.http.Config.Handler, tm)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return srv, ln.Addr().String()
}

// stalledUpload sends headers announcing a 100-byte body and 3 bytes of it.
func stalledUpload(t *testing.T, addr string, ts *testServer) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	target := pathCheck + "?sdkappid=" + strconv.Itoa(testAppID) + "&identifier=" + testAdmin + "&usersig=" + ts.sig
	fmt.Fprintf(nc, "POST %s HTTP/1.1\r\nHost: chatd\r\nContent-Length: 100\r\n\r\n{\"C", target)
	return nc
}

// TestStalledBodyIsCut: the read timeout covers the body, so a peer that
// stops sending mid-body (slow-loris) loses its connection, with the 60002
// envelope when the reply can still be written.
func TestStalledBodyIsCut(t *testing.T) {
	ts := newTestServer(t)
	tm := api.DefaultTimeouts()
	tm.Read = 300 * time.Millisecond
	_, addr := servedHTTP(t, ts, tm)
	nc := stalledUpload(t, addr, ts)
	_ = nc.SetReadDeadline(time.Now().Add(waitTimeout))
	res, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("stalled upload: %v", err)
	}
	raw, _ := io.ReadAll(res.Body)
	var env map[string]any
	if json.Unmarshal(raw, &env) != nil || env["ErrorCode"] != float64(60002) {
		t.Fatalf("stalled upload answered %s, want 60002", raw)
	}
	if _, err := nc.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open after the body timed out")
	}
}

// TestShutdownCutsWhatIsStalled: stopping drains what finishes in time and
// then cuts the rest, returning rather than waiting on a stalled peer.
func TestShutdownCutsWhatIsStalled(t *testing.T) {
	ts := newTestServer(t)
	srv, addr := servedHTTP(t, ts, api.DefaultTimeouts())
	nc := stalledUpload(t, addr, ts)
	// The stalled request must be in its handler before the shutdown.
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	time.Sleep(50 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := api.Shutdown(ctx, srv); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with a stalled upload: %v, want the cut reported", err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, err := io.ReadAll(nc); err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("stalled connection after shutdown: %v", err)
	}

	quiet := newTestServer(t)
	srv, _ = servedHTTP(t, quiet, api.DefaultTimeouts())
	if err := api.Shutdown(context.Background(), srv); err != nil {
		t.Errorf("Shutdown with nothing in flight: %v", err)
	}
}

// panicResult panics when the reply is encoded.
type panicResult struct{}

func (panicResult) MarshalJSON() ([]byte, error) { panic("encode boom") }

// syncBuffer is a log destination shared with the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestPanicBecomesEnvelope: a handler (or its reply) that panics is
// answered with the command's internal-error code and logged once with the
// stack; the connection stays usable.
func TestPanicBecomesEnvelope(t *testing.T) {
	domain := api.Domain{BadParam: 10004, Internal: 10002}
	rows := []api.Command{
		{Path: "v4/test/handler_panics", Domain: domain, Handle: func(context.Context, *api.Call, []byte) (any, error) {
			var m map[string]int
			m["x"]++ // a nil map write, the kind of slip a review misses
			return nil, nil
		}},
		{Path: "v4/test/reply_panics", Domain: domain, Handle: func(context.Context, *api.Call, []byte) (any, error) {
			return &struct{ X panicResult }{}, nil
		}},
		{Path: "v4/test/fine", Domain: domain, Handle: func(context.Context, *api.Call, []byte) (any, error) {
			return &struct{ N int }{7}, nil
		}},
	}
	clk := &clock{t: testEpoch}
	cfg := config.Default()
	cfg.Apps = []config.App{{SDKAppID: testAppID, SecretKey: testKey, Admins: []string{testAdmin}}}
	logs := &syncBuffer{}
	srv, err := api.NewServer(api.Options{
		Config: cfg, Verifier: usersig.NewVerifier(config.DefaultSigCache, clk.Now), Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	}, rows)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{
		clock: clk,
		http:  httptest.NewServer(api.Handler(srv, nil, func() bool { return true })),
		sig:   usersig.Generate(testKey, testAppID, testAdmin, sigLifetime, clk.Now()),
	}
	t.Cleanup(ts.http.Close)
	for _, path := range []string{"/v4/test/handler_panics", "/v4/test/reply_panics"} {
		env := ts.must(t, path, `{}`, 10002)
		sameKeys(t, path, env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId")
	}
	env := ts.must(t, "/v4/test/fine", `{}`, 0)
	if num(t, env["N"]) != 7 {
		t.Errorf("call after the panics: %v", env)
	}
	out := logs.String()
	if n := strings.Count(out, "rest call panicked"); n != 2 || !strings.Contains(out, "stack=") || !strings.Contains(out, "transport_test.go") {
		t.Errorf("want one log line with the stack per panic, got:\n%s", out)
	}
}
