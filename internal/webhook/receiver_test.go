package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
)

// testAppID is the app every test sender hosts.
const testAppID = 1400000042

// received is one request the test receiver got.
type received struct {
	Path    string
	Query   url.Values
	RawQ    string
	Header  http.Header
	Body    map[string]any
	RawBody []byte
}

// receiver is a real HTTP(S) server standing in for an app's backend: it
// records every request and answers with answer (a JSON 200 allow when
// nil).
type receiver struct {
	t      testing.TB
	srv    *httptest.Server
	got    chan received
	answer atomic.Pointer[func(w http.ResponseWriter, r received)]
	conns  atomic.Int64 // connections opened
	// release unblocks handlers that wait for the test to end.
	release chan struct{}
}

func newReceiver(t testing.TB) *receiver {
	t.Helper()
	rc := &receiver{t: t, got: make(chan received, 1000), release: make(chan struct{})}
	rc.srv = httptest.NewUnstartedServer(http.HandlerFunc(rc.serve))
	rc.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			rc.conns.Add(1)
		}
	}
	t.Cleanup(func() {
		close(rc.release)
		rc.srv.Close()
	})
	return rc
}

func (rc *receiver) start() *receiver { rc.srv.Start(); return rc }

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	got := received{Path: r.URL.Path, Query: r.URL.Query(), RawQ: r.URL.RawQuery, Header: r.Header.Clone(), RawBody: raw}
	_ = json.Unmarshal(raw, &got.Body)
	rc.got <- got
	if f := rc.answer.Load(); f != nil {
		(*f)(w, got)
		return
	}
	writeJSON(w, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)
}

// answerWith makes the receiver answer every request with f.
func (rc *receiver) answerWith(f func(w http.ResponseWriter, r received)) { rc.answer.Store(&f) }

// answerJSON makes the receiver answer every request with body.
func (rc *receiver) answerJSON(body string) {
	rc.answerWith(func(w http.ResponseWriter, _ received) { writeJSON(w, body) })
}

// hang makes the receiver never answer (until the test ends).
func (rc *receiver) hang() {
	rc.answerWith(func(http.ResponseWriter, received) { <-rc.release })
}

func writeJSON(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, body)
}

// next returns the next request, failing after a generous wait.
func (rc *receiver) next() received {
	rc.t.Helper()
	select {
	case r := <-rc.got:
		return r
	case <-time.After(10 * time.Second):
		rc.t.Fatal("no callback arrived")
		return received{}
	}
}

// none checks that nothing else arrived once the sender's queue is empty.
func (rc *receiver) none(s *Sender) {
	rc.t.Helper()
	s.flush(rc.t)
	select {
	case r := <-rc.got:
		rc.t.Fatalf("unexpected callback %s: %s", r.Query.Get("CallbackCommand"), r.RawBody)
	default:
	}
}

// newSender hosts the test app with cfg (its URL defaulting to rc's) and
// closes it at the end of the test.
func newSender(t testing.TB, rc *receiver, cfg config.Webhook) *Sender {
	t.Helper()
	if cfg.URL == "" && rc != nil {
		cfg.URL = rc.srv.URL + "/imcb"
	}
	s, err := New([]config.App{{SDKAppID: testAppID, SecretKey: "k", Admins: []string{"admin"}, Webhook: cfg}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		s.Close(ctx)
	})
	return s
}

// flush waits until every queued after callback was sent.
func (s *Sender) flush(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		idle := true
		for _, a := range s.apps {
			idle = idle && a.queued.Load() == 0
		}
		if idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("after callbacks still queued")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ctxREST is a context of a REST call by the admin.
func ctxREST() context.Context {
	return WithOrigin(context.Background(), Origin{Platform: PlatformREST, ClientIP: "198.51.100.23", Admin: "admin", Command: "v4/openim/sendmsg"})
}

// ctxClient is a context of a client op from an Android phone.
func ctxClient() context.Context {
	return WithOrigin(context.Background(), Origin{Platform: "Android", ClientIP: "203.0.113.9"})
}
