package webhook

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// laneConn is a lane's own keep-alive connection to the app's server: the
// lane writes a request and reads its answer on it itself, one at a time,
// with net/http's request writer and response parser. An after callback
// through http.Client costs two more goroutines' hand-offs (the
// transport's write and read loops) and its pool's bookkeeping, about a
// quarter of what a callback costs chatd (docs/BENCHMARKS.md, webhooks).
// Used when no proxy applies to the app's URL; otherwise, and for before
// callbacks, the app's http.Client sends.
type laneConn struct {
	nc     net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	reused bool // a request was answered on nc: it may have been closed since
}

// close drops the connection; the next request dials a new one.
func (lc *laneConn) close() {
	if lc.nc != nil {
		_ = lc.nc.Close()
		lc.nc = nil
	}
}

// dial connects to the app's server: TCP, then TLS for https, verifying
// the server's name as http.Transport does.
func (a *app) dial(ctx context.Context, lc *laneConn) error {
	host := a.base.Hostname()
	port := a.base.Port()
	if port == "" {
		port = "80"
		if a.base.Scheme == "https" {
			port = "443"
		}
	}
	d := net.Dialer{KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return err
	}
	if a.base.Scheme == "https" {
		cfg := a.tls.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return err
		}
		nc = tc
	}
	if lc.br == nil {
		lc.br, lc.bw = bufio.NewReaderSize(nc, 4096), bufio.NewWriterSize(nc, 4096)
	} else {
		lc.br.Reset(nc)
		lc.bw.Reset(nc)
	}
	lc.nc, lc.reused = nc, false
	return nil
}

// postOn is post over the lane's connection. A failure on a connection
// that had answered before (the server may have closed it while idle) is
// sent once more on a new one: at least once allows it, and the
// Idempotency-Key names the repeat.
func (a *app) postOn(ctx context.Context, lc *laneConn, target string, r *request) (*answer, []byte, int, error) {
	req, err := a.newPost(ctx, target, r)
	if err != nil {
		return nil, nil, 0, &callError{OutcomeNetwork, err.Error()}
	}
	for {
		reused := lc.nc != nil && lc.reused
		raw, status, err := a.exchange(ctx, lc, req)
		if err != nil {
			lc.close()
			if reused && ctx.Err() == nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			if ctx.Err() == nil && errors.Is(err, os.ErrDeadlineExceeded) {
				return nil, raw, status, &callError{OutcomeTimeout, err.Error()}
			}
			return nil, raw, status, classify(ctx, err)
		}
		lc.reused = true
		ans, err := readAnswer(raw, status)
		return ans, raw, status, err
	}
}

// exchange writes req on the lane's connection, dialing it first if
// needed, and reads the answer's status and body. The connection stays
// open only when the answer was read whole and the server keeps it.
func (a *app) exchange(ctx context.Context, lc *laneConn, req *http.Request) ([]byte, int, error) {
	if lc.nc == nil {
		if err := a.dial(ctx, lc); err != nil {
			return nil, 0, err
		}
	}
	if deadline, ok := ctx.Deadline(); ok {
		if err := lc.nc.SetDeadline(deadline); err != nil {
			return nil, 0, err
		}
	}
	// Close (through ctx) ends a request in flight at once.
	nc := lc.nc
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, 0, err
		}
		req.Body = body
	}
	if err := req.Write(lc.bw); err != nil {
		return nil, 0, err
	}
	if err := lc.bw.Flush(); err != nil {
		return nil, 0, err
	}
	resp, err := http.ReadResponse(lc.br, req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return raw, resp.StatusCode, err
	}
	// The rest of a long answer is not read: the connection goes.
	if n, _ := resp.Body.Read(make([]byte, 1)); n > 0 || resp.Close {
		lc.close()
	}
	return raw, resp.StatusCode, nil
}
