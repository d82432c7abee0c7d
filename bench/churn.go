package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

func init() {
	register(Scenario{
		Name:  "churn",
		Order: 40,
		Description: "presence churn: 1,000 join_group/quit_group per second in one room while get_online_member_num " +
			"is polled every 50 ms; error of the counted number against the harness's own count",
		Baseline: "none meaningful: the absolute error is reported against the harness's own count",
		Flags: func(fs *flag.FlagSet) {
			fs.IntVar(&churnCfg.rate, "churn-rate", 1000, "churn: joins plus quits per second")
			fs.IntVar(&churnCfg.pool, "churn-pool", 200, "churn: connected clients taking turns")
			fs.DurationVar(&churnCfg.poll, "churn-poll", 50*time.Millisecond, "churn: time between get_online_member_num polls")
		},
		Run: runChurn,
	})
}

var churnCfg struct {
	rate, pool int
	poll       time.Duration
}

// churnCounts is what the harness knows of the room. A join or quit is
// counted as sent before its frame leaves and as acked after its reply.
type churnCounts struct {
	joinsSent, joinsAcked, quitsSent, quitsAcked atomic.Int64
}

// acked is the true number by the harness's book: joins acked − quits acked.
func (c *churnCounts) acked() int64 { return c.joinsAcked.Load() - c.quitsAcked.Load() }

// churnPoll is one get_online_member_num answer with the harness's view.
type churnPoll struct {
	counted, truth int64
	inWindow       bool // the answer is explained by operations in flight
}

func runChurn(ctx context.Context, env *Env) (*Report, error) {
	rep := &Report{}
	p, err := env.startChatd(ctx)
	if err != nil {
		return rep, err
	}
	defer p.Stop()
	hc := env.Sources.httpClient(2)
	if err := createRoom(ctx, p, hc, benchRoom); err != nil {
		return rep, err
	}
	users := userIDs("churn_", churnCfg.pool)
	clients, _, err := env.dialMany(ctx, dialPlan{URL: p.URL, Users: users, Sigs: sigs(users), Parallel: 64}, dialLimit(len(users)))
	if err != nil {
		return rep, err
	}
	defer closeAll(clients)

	var counts churnCounts
	opLat := &histogram{}
	runCtx, cancel := context.WithTimeout(ctx, env.Duration)
	defer cancel()
	tokens := make(chan struct{}, len(clients))
	var dropped, opErrs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() { churnWorker(c, tokens, &counts, opLat, &opErrs, &firstErr) })
	}
	env.logf("churn: %d ops/s over %d clients for %s, polling every %s", churnCfg.rate, len(clients), env.Duration, churnCfg.poll)
	u := startUsage(p)
	start := time.Now()
	go pace(runCtx, tokens, churnCfg.rate, &dropped)
	pollLat := &histogram{}
	polls, pollErrs := pollChurn(runCtx, hc, restURL(p.URL, "v4/group_open_http_svc/get_online_member_num"), &counts, churnCfg.poll, pollLat)
	wg.Wait()
	elapsed := time.Since(start)
	usage := u.String()
	if err := p.Alive(); err != nil {
		return rep, err
	}
	if v := firstErr.Load(); v != nil {
		return rep, fmt.Errorf("churn: %w", v.(error))
	}
	if len(polls) == 0 {
		return rep, fmt.Errorf("churn: no poll answered in %s", env.Duration)
	}

	var sum, worst, exact, outside int64
	for _, pl := range polls {
		e := pl.counted - pl.truth
		if e < 0 {
			e = -e
		}
		sum += e
		worst = max(worst, e)
		if e == 0 {
			exact++
		}
		if !pl.inWindow {
			outside++
		}
	}
	ops := counts.joinsAcked.Load() + counts.quitsAcked.Load()
	name := fmt.Sprintf("%s ops/s, %d clients", groupThousands(int64(churnCfg.rate)), len(clients))
	none := "n/a: no meaningful baseline"
	rows := []Row{
		{Metric: "joins+quits acked per second", Unit: "/s", Value: float64(ops) / elapsed.Seconds()},
		{Metric: "polls", Value: float64(len(polls))},
		{Metric: "mean |counted − true|", Value: float64(sum) / float64(len(polls))},
		{Metric: "max |counted − true|", Value: float64(worst)},
		{Metric: "exact polls", Unit: "%", Value: 100 * float64(exact) / float64(len(polls))},
		{Metric: "polls not explained by ops in flight", Value: float64(outside), Target: "0", Status: check(outside == 0)},
		{Metric: "join/quit round trip p99", Unit: "ms", Value: ms(opLat.quantile(0.99))},
	}
	for _, r := range rows {
		r.Case, r.Baseline, r.BaselineNote = name, notMeasured, none
		rep.Rows = append(rep.Rows, r)
	}
	rep.addNote("true = joins acked − quits acked when the poll's answer arrived; an answer is explained by ops in flight when it lies " +
		"between joins acked at the poll's start − quits sent by its end and joins sent by its end − quits acked at its start")
	rep.addNote("poll round trip p50 %.2f ms, p99 %.2f ms: ops acked while a poll is in flight count in its error", ms(pollLat.quantile(0.5)), ms(pollLat.quantile(0.99)))
	rep.addNote("%d ops not issued because every client was busy, %d ops failed, %d polls failed; %s", dropped.Load(), opErrs.Load(), pollErrs, usage)
	rep.addNote("baseline: none — a bare server has no presence to count, so only chatd's absolute error is reported")
	return rep, nil
}

// pace issues rate tokens per second until ctx ends, then closes tokens.
// A token no client is free to take is dropped (and counted), so a slow
// server lowers the achieved rate instead of building a backlog.
func pace(ctx context.Context, tokens chan<- struct{}, rate int, dropped *atomic.Int64) {
	defer close(tokens)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	start := time.Now()
	var issued int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		due := int64(time.Since(start).Seconds() * float64(rate))
		for ; issued < due; issued++ {
			select {
			case tokens <- struct{}{}:
			default:
				dropped.Add(1)
			}
		}
	}
}

// churnWorker alternates join_group and quit_group on one client, one per
// token.
func churnWorker(c *wsClient, tokens <-chan struct{}, counts *churnCounts, lat *histogram, errs *atomic.Int64, first *atomic.Value) {
	in := false
	for range tokens {
		t0 := time.Now()
		var err error
		if in {
			counts.quitsSent.Add(1)
			if err = c.quit(benchRoom); err == nil {
				counts.quitsAcked.Add(1)
			}
		} else {
			counts.joinsSent.Add(1)
			if err = c.join(benchRoom); err == nil {
				counts.joinsAcked.Add(1)
			}
		}
		if err != nil {
			errs.Add(1)
			first.CompareAndSwap(nil, err)
			return
		}
		lat.record(time.Since(t0))
		in = !in
	}
}

// pollChurn asks get_online_member_num every interval until ctx ends.
func pollChurn(ctx context.Context, hc *http.Client, url string, counts *churnCounts, every time.Duration, lat *histogram) (polls []churnPoll, failed int) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return polls, failed
		case <-t.C:
		}
		joinsAcked0, quitsAcked0 := counts.joinsAcked.Load(), counts.quitsAcked.Load()
		t0 := time.Now()
		n, err := onlineCount(ctx, hc, url, benchRoom)
		lat.record(time.Since(t0))
		if err != nil {
			if ctx.Err() == nil {
				failed++
			}
			continue
		}
		truth := counts.acked()
		lo := joinsAcked0 - counts.quitsSent.Load()
		hi := counts.joinsSent.Load() - quitsAcked0
		polls = append(polls, churnPoll{counted: int64(n), truth: truth, inWindow: int64(n) >= lo && int64(n) <= hi})
	}
}
