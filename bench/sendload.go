package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws/wsutil"
)

// sendC2CPath is the REST one-to-one send.
const sendC2CPath = "v4/openim/sendmsg"

// appendMsgBody appends the MsgBody every send of the scenario carries:
// one custom element whose data (size bytes) holds the send's number and
// time.
func appendMsgBody(b []byte, seq int, at time.Time, size int) []byte {
	b = append(b, `[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"`...)
	b = append(b, payloadData(seq, at, size)...)
	return append(b, `"}}]`...)
}

// appendSendC2C appends a send_c2c request frame's JSON.
func appendSendC2C(b []byte, id int64, to string, seq int, at time.Time) []byte {
	b = fmt.Appendf(b, `{"id":%d,"op":"send_c2c","To_Account":%q,"MsgRandom":%d,"MsgBody":`, id, to, uint32(seq))
	return append(appendMsgBody(b, seq, at, sendCfg.payload), '}')
}

// appendSendMsg appends an openim/sendmsg body; SyncOtherMachine 1 puts
// the message in the sender's stream too, as a client's send does.
func appendSendMsg(b []byte, from, to string, seq int, at time.Time) []byte {
	b = fmt.Appendf(b, `{"SyncOtherMachine":1,"From_Account":%q,"To_Account":%q,"MsgRandom":%d,"MsgBody":`, from, to, uint32(seq))
	return append(appendMsgBody(b, seq, at, sendCfg.payload), '}')
}

// replyID reads the id a reply frame starts with; ok is false for a push
// (docs/client-protocol.md §2: only replies have an id, and chatd writes
// it first).
func replyID(p []byte) (int64, bool) {
	rest, ok := bytes.CutPrefix(p, []byte(`{"id":`))
	if !ok {
		return 0, false
	}
	i := bytes.IndexByte(rest, ',')
	if i < 0 {
		return 0, false
	}
	id, err := strconv.ParseInt(string(rest[:i]), 10, 64)
	return id, err == nil
}

// succeeded is the mark of a success, in a reply or a REST answer.
var succeeded = []byte(`"ErrorCode":0,`)

// awaitReply reads frames until the reply to request id, handing pushes
// read meanwhile to onPush (when not nil). A failed request is an error.
func (c *wsClient) awaitReply(id int64, buf *[]byte, onPush func([]byte)) error {
	for {
		p, err := c.next(buf)
		if err != nil {
			return err
		}
		rid, ok := replyID(p)
		switch {
		case !ok:
			if onPush != nil {
				onPush(p)
			}
		case rid != id:
			return fmt.Errorf("want the reply to request %d, got %s", id, p)
		case !bytes.Contains(p, succeeded):
			return fmt.Errorf("request %d failed: %s", id, p)
		default:
			return nil
		}
	}
}

// sendC2C sends one message to to and waits for its reply.
func (c *wsClient) sendC2C(to string, seq int, at time.Time, frame, buf *[]byte) error {
	c.nextID++
	*frame = appendSendC2C((*frame)[:0], c.nextID, to, seq, at)
	if err := wsutil.WriteClientText(c.nc, *frame); err != nil {
		return err
	}
	return c.awaitReply(c.nextID, buf, nil)
}

// timedLoad runs n workers, each calling send back to back from now until
// end, and counts the sends that started at or after begin and were
// answered before end, recording their latency in lat. The first error
// stops the run.
func timedLoad(n int, begin, end time.Time, lat *histogram, send func(worker, seq int, at time.Time) error) (int64, error) {
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range n {
		wg.Go(func() {
			for seq := 0; ; seq++ {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				if err := send(w, seq, t0); err != nil {
					errs <- fmt.Errorf("worker %d, send %d: %w", w, seq, err)
					return
				}
				if t1 := time.Now(); !t0.Before(begin) && t1.Before(end) {
					done.Add(1)
					lat.record(t1.Sub(t0))
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return done.Load(), <-errs
}

// measure runs a timed load against p: it starts the clock (CPU use and
// the profile) when the warm-up ends and returns the phase's result.
func (e *Env) measure(ctx context.Context, p *Proc, name string, n int, send func(worker, seq int, at time.Time) error) (sendResult, error) {
	var r sendResult
	begin := time.Now().Add(sendCfg.warmup)
	end := begin.Add(e.Duration)
	lat := &histogram{}
	type outcome struct {
		sent int64
		err  error
	}
	out := make(chan outcome, 1)
	go func() {
		sent, err := timedLoad(n, begin, end, lat, send)
		out <- outcome{sent, err}
	}()
	select {
	case <-time.After(time.Until(begin)):
	case <-ctx.Done():
	}
	u := startUsage(p)
	wait := e.profileCPU(ctx, p, name, e.Duration)
	o := <-out
	usage, cpu := u.String(), u.serverCPU()
	wait()
	if o.err == nil {
		o.err = p.Alive()
	}
	if o.err != nil {
		return r, o.err
	}
	r.rate = float64(o.sent) / e.Duration.Seconds()
	r.p50, r.p99 = ms(lat.quantile(0.5)), ms(lat.quantile(0.99))
	r.summary = fmt.Sprintf("%s sends answered in %s (reply latency p50 %.2f ms, p99 %.2f ms), chatd CPU %.0f µs per send; %s",
		groupThousands(o.sent), e.Duration, r.p50, r.p99, float64(cpu.Microseconds())/float64(max(1, o.sent)), usage)
	return r, nil
}

// sendREST measures openim/sendmsg from keep-alive connections, each
// waiting for its answer; sender i sends to user i+1, who is not online.
// extra are more serve flags.
func sendREST(ctx context.Context, env *Env, engine string, extra ...string) (sendResult, error) {
	var r sendResult
	p, stop, err := env.startChatdOn(ctx, engine, extra...)
	if err != nil {
		return r, err
	}
	defer stop()
	n := sendCfg.restConns
	users := userIDs("rest_", max(2, n))
	if err := importAccounts(ctx, env, p, users); err != nil {
		return r, err
	}
	u, err := url.Parse(restURL(p.URL, sendC2CPath))
	if err != nil {
		return r, err
	}
	head := fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: ", u.RequestURI(), u.Host)
	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	bufs, reqs, answers := make([][]byte, n), make([][]byte, n), make([][]byte, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range conns {
		if conns[i], err = env.Sources.DialContext(ctx, "tcp", p.Addr); err != nil {
			return r, fmt.Errorf("dial: %w", err)
		}
		readers[i] = bufio.NewReaderSize(conns[i], 4096)
		_ = conns[i].SetDeadline(time.Now().Add(sendCfg.warmup + env.Duration + callTimeout))
	}
	unclose := context.AfterFunc(ctx, func() {
		for _, c := range conns {
			c.Close()
		}
	})
	defer unclose()
	env.logf("send: %s, REST, %d connections, %s", engine, n, env.Duration)
	return env.measure(ctx, p, "send-"+engine+"-rest", n, func(w, seq int, at time.Time) error {
		bufs[w] = appendSendMsg(bufs[w][:0], users[w%len(users)], users[(w+1)%len(users)], seq, at)
		req := append(reqs[w][:0], head...)
		req = strconv.AppendInt(req, int64(len(bufs[w])), 10)
		req = append(append(req, "\r\n\r\n"...), bufs[w]...)
		reqs[w] = req
		if _, err := conns[w].Write(req); err != nil {
			return err
		}
		answer, err := readResponse(readers[w], answers[w][:0])
		if err != nil {
			return err
		}
		answers[w] = answer
		if !bytes.Contains(answer, succeeded) {
			return fmt.Errorf("sendmsg: %s", answer)
		}
		return nil
	})
}

// importAccounts creates users through multiaccount_import, 100 a call.
func importAccounts(ctx context.Context, env *Env, p *Proc, users []string) error {
	hc := env.Sources.httpClient(1)
	target := restURL(p.URL, "v4/im_open_login_svc/multiaccount_import")
	for i := 0; i < len(users); i += 100 {
		chunk := users[i:min(i+100, len(users))]
		if err := mustOK(adminCall(ctx, hc, target, map[string]any{"Accounts": chunk})); err != nil {
			return fmt.Errorf("multiaccount_import: %w", err)
		}
	}
	return nil
}

// sendGateway measures send_c2c from logged-in connections, each waiting
// for its reply; user i sends to user i+1, so every connection also
// receives its own sends and its neighbour's as pushes. extra are more
// serve flags.
func sendGateway(ctx context.Context, env *Env, engine string, extra ...string) (sendResult, error) {
	var r sendResult
	p, stop, err := env.startChatdOn(ctx, engine, extra...)
	if err != nil {
		return r, err
	}
	defer stop()
	n := max(2, sendCfg.conns)
	users := userIDs("gw_", n)
	// Imported first: a first login is answered before its account is
	// committed, and a neighbour's send to it could find it missing.
	if err := importAccounts(ctx, env, p, users); err != nil {
		return r, err
	}
	env.logf("send: %s, gateway, logging %d users in", engine, n)
	clients, _, err := env.dialMany(ctx, dialPlan{URL: p.URL, Users: users, Sigs: sigs(users), Parallel: 100}, dialLimit(n))
	if err != nil {
		return r, err
	}
	defer closeAll(clients)
	deadline := time.Now().Add(sendCfg.warmup + env.Duration + callTimeout)
	for _, c := range clients {
		_ = c.nc.SetDeadline(deadline)
	}
	unclose := context.AfterFunc(ctx, func() {
		for _, c := range clients {
			_ = c.nc.Close()
		}
	})
	defer unclose()
	frames, bufs := make([][]byte, n), make([][]byte, n)
	env.logf("send: %s, gateway, %d connections, %s", engine, n, env.Duration)
	return env.measure(ctx, p, "send-"+engine+"-gateway", n, func(w, seq int, at time.Time) error {
		return clients[w].sendC2C(users[(w+1)%n], seq, at, &frames[w], &bufs[w])
	})
}

// sendLatency sends send_c2c at a steady rate from one set of connections
// to another and times each message from the send to its push on the
// recipient's connection.
func sendLatency(ctx context.Context, env *Env, engine string) (sendResult, error) {
	var r sendResult
	p, stop, err := env.startChatdOn(ctx, engine)
	if err != nil {
		return r, err
	}
	defer stop()
	n := max(1, sendCfg.pairs)
	var received atomic.Int64
	lat := &histogram{}
	// windowStart is set when the warm-up starts; messages sent before
	// the window (none, until then) are not timed.
	var windowStart atomic.Int64
	windowStart.Store(math.MaxInt64)
	record := func(p []byte) {
		at, ok := sentAt(p)
		if !ok || at.UnixNano() < windowStart.Load() {
			return
		}
		lat.record(time.Since(at))
		received.Add(1)
	}
	recipients := userIDs("lat_to_", n)
	env.logf("send: %s, latency, logging %d senders and %d recipients in", engine, n, n)
	receivers, _, err := env.dialMany(ctx, dialPlan{URL: p.URL, Users: recipients, Sigs: sigs(recipients), Parallel: 100,
		OnClient: func(_ int, c *wsClient) { go c.receive(record) }}, dialLimit(n))
	if err != nil {
		return r, err
	}
	defer closeAll(receivers)
	senderIDs := userIDs("lat_from_", n)
	senders, _, err := env.dialMany(ctx, dialPlan{URL: p.URL, Users: senderIDs, Sigs: sigs(senderIDs), Parallel: 100}, dialLimit(n))
	if err != nil {
		return r, err
	}
	defer closeAll(senders)

	begin := time.Now().Add(sendCfg.warmup)
	windowStart.Store(begin.UnixNano())
	end := begin.Add(env.Duration)
	runCtx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	tokens := make(chan struct{}, n)
	var dropped, sent atomic.Int64
	go pace(runCtx, tokens, sendCfg.rate, &dropped)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i, c := range senders {
		to := recipients[i]
		wg.Go(func() {
			var frame, buf []byte
			for seq := 0; ; seq++ {
				if _, ok := <-tokens; !ok {
					return
				}
				at := time.Now()
				if err := c.sendC2C(to, seq, at, &frame, &buf); err != nil {
					errs <- err
					return
				}
				if !at.Before(begin) {
					sent.Add(1)
				}
			}
		})
	}
	env.logf("send: %s, latency, %d sends/s for %s", engine, sendCfg.rate, env.Duration)
	select {
	case <-time.After(time.Until(begin)):
	case <-ctx.Done():
	}
	u := startUsage(p)
	wg.Wait()
	close(errs)
	if err := errors.Join(<-errs, p.Alive()); err != nil {
		return r, err
	}
	want := sent.Load()
	for deadline := time.Now().Add(5 * time.Second); received.Load() < want && time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(20 * time.Millisecond)
	}
	usage := u.String()
	r.rate = float64(want) / env.Duration.Seconds()
	r.p50, r.p99 = ms(lat.quantile(0.5)), ms(lat.quantile(0.99))
	r.summary = fmt.Sprintf("%s sends (%.0f/s), %s of them received, %d not issued because every sender was busy; %s",
		groupThousands(want), r.rate, groupThousands(received.Load()), dropped.Load(), usage)
	return r, nil
}
