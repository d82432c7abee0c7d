package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// splitServer is net/http behind a gateway's Listen, as cmd/chatd runs
// them: Path goes to the gateway, anything else is echoed by net/http as
// "method path body". httpConns counts the connections net/http was given.
type splitServer struct {
	addr      string
	httpConns atomic.Int32
	served    chan error
	ln        net.Listener
}

func newSplitServer(t *testing.T, h *harness) *splitServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &splitServer{addr: ln.Addr().String(), served: make(chan error, 1)}
	mux := http.NewServeMux()
	mux.Handle(Path, h.gw)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.Path, body)
	})
	srv := &http.Server{Handler: mux, ConnState: func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.httpConns.Add(1)
		}
	}}
	s.ln = h.gw.Listen(ln, Path)
	go func() { s.served <- srv.Serve(s.ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// send writes pieces to a new connection, pausing between them so that
// each arrives in a read of its own, and returns the connection's reader.
func (s *splitServer) send(t *testing.T, pieces ...string) (net.Conn, *bufio.Reader) {
	t.Helper()
	nc, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(waitTimeout))
	for i, p := range pieces {
		if i > 0 {
			time.Sleep(20 * time.Millisecond)
		}
		if _, err := io.WriteString(nc, p); err != nil {
			t.Fatal(err)
		}
	}
	return nc, bufio.NewReader(nc)
}

// upgradeHead offers compression, which both ways of upgrading accept.
const upgradeHead = "GET /v4/ws HTTP/1.1\r\nHost: chatd\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: " + offerBoth + "\r\n"

func compiled(t *testing.T, f ws.Frame) string {
	t.Helper()
	b, err := ws.CompileFrame(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestListenUpgradesBeforeNetHTTP(t *testing.T) {
	h := newHarness(t, Config{})
	s := newSplitServer(t, h)
	login := compiled(t, loginFrame("listen-user"))
	pad := "X-Pad: " + strings.Repeat("p", readBufferSize) + "\r\n"

	tests := []struct {
		name     string
		pieces   []string
		viaHTTP  bool // net/http served the upgrade (hijacked)
		wantCode int
	}{
		{"request and login in one write", []string{upgradeHead + "\r\n" + login}, false, http.StatusSwitchingProtocols},
		{"request line in pieces", []string{"GE", "T /v4/ws HTTP/1.1\r\nHost: chatd\r\n", strings.TrimPrefix(upgradeHead, "GET /v4/ws HTTP/1.1\r\nHost: chatd\r\n") + "\r\n", login}, false, http.StatusSwitchingProtocols},
		{"query string", []string{strings.Replace(upgradeHead, "/v4/ws ", "/v4/ws?v=1 ", 1) + "\r\n" + login}, false, http.StatusSwitchingProtocols},
		{"head larger than the read buffer", []string{upgradeHead + pad + "\r\n" + login}, true, http.StatusSwitchingProtocols},
		{"not an upgrade", []string{"GET /v4/ws HTTP/1.1\r\nHost: chatd\r\n\r\n"}, false, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.httpConns.Load()
			_, br := s.send(t, tt.pieces...)
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.wantCode)
			}
			if via := s.httpConns.Load() > before; via != tt.viaHTTP {
				t.Fatalf("served by net/http: %v, want %v", via, tt.viaHTTP)
			}
			if tt.wantCode != http.StatusSwitchingProtocols {
				return
			}
			if got := res.Header.Get("Sec-WebSocket-Extensions"); got != deflateAccepted {
				t.Fatalf("extensions %q, want %q", got, deflateAccepted)
			}
			w := &wireConn{t: t, br: br}
			w.expectReply("login")
		})
	}
}

func TestListenHandsTheRestToNetHTTP(t *testing.T) {
	h := newHarness(t, Config{})
	s := newSplitServer(t, h)
	tests := []struct {
		name   string
		pieces []string
		want   string
	}{
		{"another path", []string{"GET /healthz HTTP/1.1\r\nHost: chatd\r\n\r\n"}, "GET /healthz "},
		{"a longer path", []string{"GET /v4/wsx HTTP/1.1\r\nHost: chatd\r\n\r\n"}, "GET /v4/wsx "},
		{"undecided until the path ends", []string{"G", "ET /v4/w", " HTTP/1.1\r\nHost: chatd\r\n\r\n"}, "GET /v4/w "},
		{"a REST call with its body", []string{"POST /v4/im_open_login_svc/account_check HTTP/1.1\r\nHost: chatd\r\nContent-Length: 7\r\n\r\n", `{"a":1}`},
			`POST /v4/im_open_login_svc/account_check {"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, br := s.send(t, tt.pieces...)
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK || string(body) != tt.want {
				t.Fatalf("got %d %q, want 200 %q", res.StatusCode, body, tt.want)
			}
		})
	}
}

func TestListenWhileShuttingDown(t *testing.T) {
	h := newHarness(t, Config{})
	s := newSplitServer(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := h.gw.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	_, br := s.send(t, upgradeHead+"\r\n")
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503 from net/http", res.StatusCode)
	}

	if err := s.ln.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.served:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Serve returned %v, want a closed listener", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Serve still running after its listener closed")
	}
}
