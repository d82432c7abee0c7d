package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// The baselines are this program re-executed with a hidden subcommand, so
// they run as a separate process on the server CPU exactly like chatd, and
// use the same HTTP server and WebSocket library. They do the least work a
// server could do for the same exchange: the ratio chatd/baseline is then
// the cost of chatd's own logic on this machine.
var hidden = map[string]func(args []string) error{
	"baseline-http": runBaselineHTTP,
	"baseline-ws":   runBaselineWS,
}

// runHidden runs a hidden subcommand when args name one.
func runHidden(args []string) (bool, error) {
	if len(args) == 0 {
		return false, nil
	}
	fn, ok := hidden[args[0]]
	if !ok {
		return false, nil
	}
	return true, fn(args[1:])
}

// serveUntilSignal listens on addr, prints the address the way chatd does
// and serves h until SIGTERM/SIGINT.
func serveUntilSignal(name, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: listen: %w", name, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.Handle("/", h)
	// The same server settings as chatd's.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Printf("%s is listening on http://%s\n", name, ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = srv.Close() // hijacked WebSockets are not ours to drain
		_ = ln.Close()
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}

// runBaselineHTTP answers every request with the bytes of one recorded
// chatd answer, after reading the body as chatd does.
func runBaselineHTTP(args []string) error {
	fs := flag.NewFlagSet("baseline-http", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	bodyFile := fs.String("body", "", "file holding the answer's bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		return err
	}
	length := strconv.Itoa(len(body))
	return serveUntilSignal("baseline-http", *addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"application/json; charset=utf-8"}
		h["Content-Length"] = []string{length}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	}))
}

// bareWS is the baseline WebSocket server, written the way gobwas/ws (the
// library chatd's gateway uses) is ordinarily used: one goroutine per
// connection blocked in a read. It answers the protocol's requests with
// success without checking anything, and broadcasts send_group_msg bodies
// to a room by encoding the frame once and queueing it on a writer
// goroutine per member connection.
type bareWS struct {
	mu    sync.RWMutex
	rooms map[string]map[*bareConn]struct{}
	seq   atomic.Int64
}

type bareConn struct {
	nc   net.Conn
	wmu  sync.Mutex  // replies and the writer goroutine share the socket
	send chan []byte // nil until the first join: idle conns have no writer
	done chan struct{}
}

func runBaselineWS(args []string) error {
	fs := flag.NewFlagSet("baseline-ws", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s := &bareWS{rooms: map[string]map[*bareConn]struct{}{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/v4/ws", s.serveWS)
	mux.HandleFunc("/v4/group_open_http_svc/send_group_msg", s.broadcast)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"ActionStatus":"FAIL","ErrorCode":60009,"ErrorInfo":"unknown API"}`)
	})
	return serveUntilSignal("baseline-ws", *addr, mux)
}

type bareRequest struct {
	ID      int64  `json:"id"`
	Op      string `json:"op"`
	GroupID string `json:"GroupId"`
}

func (s *bareWS) serveWS(w http.ResponseWriter, r *http.Request) {
	nc, _, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		return
	}
	c := &bareConn{nc: nc, done: make(chan struct{})}
	defer func() {
		close(c.done)
		s.mu.Lock()
		for _, room := range s.rooms {
			delete(room, c)
		}
		s.mu.Unlock()
		_ = nc.Close()
	}()
	for {
		data, op, err := wsutil.ReadClientData(nc)
		if err != nil || op != ws.OpText {
			return
		}
		var req bareRequest
		if json.Unmarshal(data, &req) != nil {
			return
		}
		var answer string
		switch req.Op {
		case "login":
			answer = fmt.Sprintf(`{"id":%d,"op":"login","ErrorCode":0,"ErrorInfo":"","HeartbeatIntervalMs":30000,"IdleTimeoutMs":90000}`, req.ID)
		case "join_group", "quit_group":
			s.setMember(c, req.GroupID, req.Op == "join_group")
			answer = fmt.Sprintf(`{"id":%d,"op":%q,"ErrorCode":0,"ErrorInfo":"","GroupId":%q}`, req.ID, req.Op, req.GroupID)
		default:
			answer = fmt.Sprintf(`{"id":%d,"op":%q,"ErrorCode":0,"ErrorInfo":""}`, req.ID, req.Op)
		}
		if c.write(ws.MustCompileFrame(ws.NewTextFrame([]byte(answer)))) != nil {
			return
		}
	}
}

func (c *bareConn) write(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.nc.Write(frame)
	return err
}

func (s *bareWS) setMember(c *bareConn, group string, in bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !in {
		delete(s.rooms[group], c)
		return
	}
	if c.send == nil {
		c.send = make(chan []byte, 256)
		go c.writeLoop()
	}
	room := s.rooms[group]
	if room == nil {
		room = map[*bareConn]struct{}{}
		s.rooms[group] = room
	}
	room[c] = struct{}{}
}

func (c *bareConn) writeLoop() {
	for {
		select {
		case f := <-c.send:
			if c.write(f) != nil {
				_ = c.nc.Close()
				return
			}
		case <-c.done:
			return
		}
	}
}

// broadcast is send_group_msg: the whole request body becomes the pushed
// event, encoded once and queued on every connection of the room.
func (s *bareWS) broadcast(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var req struct{ GroupId string }
	if err != nil || json.Unmarshal(body, &req) != nil {
		_, _ = io.WriteString(w, `{"ActionStatus":"FAIL","ErrorCode":10004,"ErrorInfo":"bad body"}`)
		return
	}
	group, _ := json.Marshal(req.GroupId)
	push := make([]byte, 0, len(body)+64)
	push = append(push, `{"op":"push","GroupId":`...)
	push = append(push, group...)
	push = append(push, `,"event":`...)
	push = append(push, body...)
	push = append(push, '}')
	frame := ws.MustCompileFrame(ws.NewTextFrame(push))
	s.mu.RLock()
	for c := range s.rooms[req.GroupId] {
		select {
		case c.send <- frame:
		default:
			go func() { _ = c.nc.Close() }() // slow consumer, as chatd does
		}
	}
	s.mu.RUnlock()
	fmt.Fprintf(w, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","MsgSeq":%d,"MsgTime":%d}`, s.seq.Add(1), time.Now().Unix())
}
