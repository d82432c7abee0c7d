package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// rawRequest builds one keep-alive HTTP/1.1 POST, sent as the same bytes
// over and over: the generator parses no URL and allocates no request per
// call, so its cost per request is far below the server's and the figure
// is the server's.
func rawRequest(rawURL string, body []byte) ([]byte, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		u.RequestURI(), u.Host, len(body))
	b.Write(body)
	return b.Bytes(), u.Host, nil
}

// loadResult is one timed load phase.
type loadResult struct {
	Requests int64 // answered inside the measured window
	Failures int64 // answers that were not the expected body
	Window   time.Duration
}

// rps is requests per second over the window.
func (r loadResult) rps() float64 { return float64(r.Requests) / r.Window.Seconds() }

// httpLoad keeps clients connections busy with req back to back: warmup
// first (not counted), then d measured, each latency recorded in lat. want
// must appear in every body.
func (e *Env) httpLoad(ctx context.Context, addr string, req []byte, clients int, warmup, d time.Duration, want []byte, lat *histogram) (loadResult, error) {
	var res loadResult
	var requests, failures atomic.Int64
	conns := make([]net.Conn, 0, clients)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range clients {
		conn, err := e.Sources.DialContext(ctx, "tcp", addr)
		if err != nil {
			return res, fmt.Errorf("load: dial: %w", err)
		}
		conns = append(conns, conn)
	}
	// Cancelling the run closes the sockets, which ends every worker.
	stop := context.AfterFunc(ctx, func() {
		for _, c := range conns {
			c.Close()
		}
	})
	defer stop()
	begin := time.Now().Add(warmup)
	end := begin.Add(d)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for _, conn := range conns {
		wg.Go(func() {
			if err := loadConn(conn, req, begin, end, want, lat, &requests, &failures); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	res.Requests, res.Failures, res.Window = requests.Load(), failures.Load(), d
	if err := <-errs; err != nil {
		return res, err
	}
	return res, nil
}

// loadConn runs one connection until end. Each request waits for its
// answer before the next (no pipelining), as a keep-alive client does.
func loadConn(conn net.Conn, req []byte, begin, end time.Time, want []byte, lat *histogram, requests, failures *atomic.Int64) error {
	br := bufio.NewReaderSize(conn, 16<<10)
	body := make([]byte, 0, 4096)
	for {
		t0 := time.Now()
		if !t0.Before(end) {
			return nil
		}
		_ = conn.SetDeadline(t0.Add(10 * time.Second))
		if _, err := conn.Write(req); err != nil {
			return fmt.Errorf("load: write: %w", err)
		}
		var err error
		body, err = readResponse(br, body[:0])
		if err != nil {
			return fmt.Errorf("load: read: %w", err)
		}
		t1 := time.Now()
		if t0.Before(begin) || t1.After(end) {
			continue
		}
		if !bytes.Contains(body, want) {
			failures.Add(1)
			continue
		}
		requests.Add(1)
		lat.record(t1.Sub(t0))
	}
}

// readResponse reads one HTTP/1.1 response with a Content-Length body and
// returns the body appended to buf. It accepts only status 200.
func readResponse(br *bufio.Reader, buf []byte) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 200")) {
		return nil, fmt.Errorf("status %q", bytes.TrimSpace(line))
	}
	length := -1
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		if len(line) <= 2 {
			break // blank line ends the headers
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if ok && bytes.EqualFold(k, []byte("Content-Length")) {
			length, err = strconv.Atoi(string(bytes.TrimSpace(v)))
			if err != nil {
				return nil, fmt.Errorf("content-length %q", v)
			}
		}
	}
	if length < 0 {
		return nil, errors.New("response without Content-Length")
	}
	start := len(buf)
	buf = append(buf, make([]byte, length)...)
	if _, err := io.ReadFull(br, buf[start:]); err != nil {
		return nil, err
	}
	return buf, nil
}
