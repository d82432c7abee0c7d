package webhook

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/chatd/chatd/internal/config"
)

// rawServer answers each request on a connection with answers[i] of that
// connection (raw HTTP), then closes it without a word: the way a server
// drops an idle keep-alive connection.
func rawServer(t *testing.T, answers ...string) (url string, bodies chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	bodies = make(chan string, 100)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				for _, a := range answers {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					b, _ := io.ReadAll(req.Body)
					bodies <- req.Header.Get(IdempotencyHeader) + " " + string(b)
					if _, err := io.WriteString(nc, a); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/imcb", bodies
}

// A lane's connection: answers with a length or chunked are read; a
// connection the server dropped while idle is dialed again and the
// callback sent on it, with its key; every delivery is ok.
func TestLaneConnection(t *testing.T) {
	const ok = `{"ActionStatus":"OK","ErrorCode":0}`
	url, bodies := rawServer(t,
		fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(ok), ok),
		fmt.Sprintf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(ok), ok),
	)
	s, err := New([]config.App{{SDKAppID: testAppID, Webhook: config.Webhook{URL: url}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	a := s.apps[testAppID]
	if !a.direct {
		t.Fatal("no proxy applies, yet the lanes would not send on their own connections")
	}
	lc := &laneConn{}
	defer lc.close()
	for i := range 5 { // two on the first connection, two on the second, one on a third
		r := &request{command: C2CAfterSendMsg, key: fmt.Sprint("k", i), body: []byte(fmt.Sprintf(`{"n":%d}`, i))}
		if _, err := s.send(context.Background(), a, lc, r, KindAfter, 1); err != nil {
			t.Fatalf("callback %d: %v", i, err)
		}
		if got, want := <-bodies, fmt.Sprintf(`k%d {"n":%d}`, i, i); got != want {
			t.Fatalf("server got %q, want %q", got, want)
		}
	}
	log, _ := s.Deliveries(context.Background(), testAppID, 0)
	for _, d := range log {
		if d.Outcome != OutcomeOK || d.Status != 200 {
			t.Errorf("delivery %+v", d)
		}
	}
}
