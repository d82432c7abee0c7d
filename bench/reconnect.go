package main

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// The mass reconnect (issue 16): a node restarts and all of its users come
// back at once, as a mobile app's users do after a network change or a
// deploy. The wave is open-loop: login i starts at i/n of reconnectWindow,
// whatever the server's pace, so a server that falls behind faces a
// growing queue of sockets, as it would in the field; every login gets
// callTimeout to finish.

// reconnectWindow is the time over which the wave's logins start.
const reconnectWindow = time.Second

// waveResult is one wave of n logins.
type waveResult struct {
	n        int
	ok       int64
	failed   int64
	firstErr error
	elapsed  time.Duration // first start to last success
	lat      histogram     // successful logins, start to reply
	usage    string
	cpu      time.Duration // the server's, over the wave
}

func (w *waveResult) rate() float64 { return float64(w.ok) / w.elapsed.Seconds() }

// loginWave logs plan's users in, login i starting at i/n of window, and
// closes every socket afterwards.
func (e *Env) loginWave(ctx context.Context, p *Proc, plan dialPlan, window time.Duration) *waveResult {
	n := len(plan.Users)
	r := &waveResult{n: n}
	clients := make([]*wsClient, n)
	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		lastNs  atomic.Int64
	)
	u := startUsage(p)
	start := time.Now()
	for i := range n {
		at := start.Add(window * time.Duration(i) / time.Duration(n))
		wg.Go(func() {
			time.Sleep(time.Until(at))
			begin := time.Now()
			dctx, cancel := context.WithTimeout(ctx, callTimeout)
			c, err := e.Sources.dialWS(dctx, plan.URL, plan.Users[i], plan.Sigs[i], plan.Deflate)
			cancel()
			if err != nil {
				atomic.AddInt64(&r.failed, 1)
				errOnce.Do(func() { r.firstErr = fmt.Errorf("login %s: %w", plan.Users[i], err) })
				return
			}
			done := time.Now()
			r.lat.record(done.Sub(begin))
			atomic.AddInt64(&r.ok, 1)
			for {
				last := lastNs.Load()
				if int64(done.Sub(start)) <= last || lastNs.CompareAndSwap(last, int64(done.Sub(start))) {
					break
				}
			}
			clients[i] = c
		})
	}
	wg.Wait()
	r.elapsed, r.usage, r.cpu = time.Duration(max(1, lastNs.Load())), u.String(), u.serverCPU()
	closeAll(clients)
	return r
}

// connsReconnect measures the mass reconnect against chatd restarted on a
// database that holds n accounts, and the same wave against the bare
// baseline.
func connsReconnect(ctx context.Context, env *Env, n int) (chatd, base *waveResult, err error) {
	users := userIDs(fmt.Sprintf("wave%d_", n), n)
	plan := dialPlan{Users: users, Sigs: sigs(users), Parallel: connsCfg.parallel}

	bp, err := env.startWSServer(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	waitIdle(bp, 5*time.Second)
	env.logf("conns: %s, %d users logging in within %s", bp.Name, n, reconnectWindow)
	plan.URL = bp.URL
	base = env.loginWave(ctx, bp, plan, reconnectWindow)
	bp.Stop()

	p, err := env.startWSServer(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	plan.URL = p.URL
	env.logf("conns: %s, %d users' first logins, then a restart", p.Name, n)
	clients, _, err := env.dialMany(ctx, plan, dialLimit(n))
	closeAll(clients)
	if err != nil {
		p.Stop()
		return nil, nil, err
	}
	if p, err = env.restartChatd(ctx, p); err != nil {
		return nil, nil, fmt.Errorf("restart: %w", err)
	}
	defer p.Stop()
	waitIdle(p, 5*time.Second)
	env.logf("conns: %s restarted, %d users reconnecting within %s", p.Name, n, reconnectWindow)
	plan.URL = p.URL
	wait := env.profileCPU(ctx, p, fmt.Sprintf("conns-%d-reconnect", n), connsProfileTime)
	chatd = env.loginWave(ctx, p, plan, reconnectWindow)
	wait()
	return chatd, base, p.Alive()
}

// reconnectRows reports a mass reconnect.
func (rep *Report) reconnectRows(name string, got, base *waveResult) {
	c := name + ", reconnect after restart"
	rep.Rows = append(rep.Rows,
		Row{Case: c, Metric: "logins/s, all users within 1 s", Unit: "/s", Value: got.rate(), Baseline: base.rate(),
			Target: fmt.Sprintf("ratio ≥ %.1f", connsReturningRatio), Status: check(got.rate() >= connsReturningRatio*base.rate())},
		Row{Case: c, Metric: "server CPU per login", Unit: "µs", Value: perLogin(got.cpu, got.n), Baseline: perLogin(base.cpu, base.n)},
		Row{Case: c, Metric: "login latency p99", Unit: "ms", Value: ms(got.lat.quantile(0.99)), Baseline: ms(base.lat.quantile(0.99))},
		Row{Case: c, Metric: "failed logins (timeouts, refusals)", Unit: "", Value: float64(got.failed), Baseline: math.NaN(),
			BaselineNote: fmt.Sprintf("baseline: %d failed", base.failed), Target: "0", Status: check(got.failed == 0)},
	)
	rep.addNote("%s: chatd %s logins in %s (p50 %.1f ms); %s", c, groupThousands(got.ok), got.elapsed.Round(time.Millisecond), ms(got.lat.quantile(0.5)), got.usage)
	rep.addNote("%s: baseline %s logins in %s (p50 %.1f ms); %s", c, groupThousands(base.ok), base.elapsed.Round(time.Millisecond), ms(base.lat.quantile(0.5)), base.usage)
	for _, w := range []*waveResult{got, base} {
		if w.firstErr != nil {
			rep.addNote("%s: %d failed, the first: %v", c, w.failed, w.firstErr)
		}
	}
}
