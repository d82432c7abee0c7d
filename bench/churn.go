package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func init() {
	register(Scenario{
		Name:  "churn",
		Order: 40,
		Description: "presence churn: 1,000 join_group/quit_group per second in one room while get_online_member_num " +
			"is polled every 50 ms, on one node (SQLite) and on 2 nodes (PostgreSQL + NATS, polled on both); error of the " +
			"counted number against the harness's own count. Then the presence traffic on NATS (bytes/s idle, under the same churn, " +
			"bytes per join or quit) of one room of 3,000 / 9,000 / 18,000 viewers over 3 nodes",
		Baseline: "counts: none meaningful, the absolute error is reported against the harness's own count; " +
			"traffic: the same figure for the smallest room in the same run (traffic should follow the churn, not the room size)",
		Flags: func(fs *flag.FlagSet) {
			fs.IntVar(&churnCfg.rate, "churn-rate", 1000, "churn: joins plus quits per second")
			fs.IntVar(&churnCfg.pool, "churn-pool", 200, "churn: connected clients taking turns")
			fs.DurationVar(&churnCfg.poll, "churn-poll", 50*time.Millisecond, "churn: time between get_online_member_num polls (on each node)")
			fs.StringVar(&churnCfg.nodes, "churn-nodes", "1,2", "churn: node counts, comma-separated; 1 runs on SQLite, more on one "+
				"PostgreSQL database (--churn-postgres) and NATS (--churn-nats), clients spread over the nodes and the count polled on each")
			fs.StringVar(&churnCfg.viewers, "churn-viewers", "3000,9000,18000", "churn: room sizes whose presence traffic on NATS is "+
				"measured, comma-separated; empty for none")
			fs.IntVar(&churnCfg.viewerNodes, "churn-viewer-nodes", 3, "churn: nodes the viewers of --churn-viewers are spread over")
			fs.StringVar(&churnCfg.postgres, "churn-postgres", defaultPostgres, "churn: PostgreSQL URL to CREATE DATABASE from "+
				"(a fresh database per cluster, dropped after)")
			fs.StringVar(&churnCfg.nats, "churn-nats", "nats://127.0.0.1:4222", "churn: NATS of the clusters (each under a subject prefix of its own)")
			fs.DurationVar(&churnCfg.interval, "churn-interval", 2*time.Second, "churn: --presence-interval of the cluster nodes")
		},
		Run: runChurn,
	})
}

var churnCfg struct {
	rate, pool, viewerNodes int
	poll, interval          time.Duration
	nodes, viewers          string
	postgres, nats          string
}

// churnLog is when one client's joins and quits were sent and acked: a
// join or quit is logged as sent before its frame leaves and as acked
// after its reply.
type churnLog struct {
	joinsSent, joinsAcked, quitsSent, quitsAcked []time.Time
}

// merge appends o's times to l's.
func (l *churnLog) merge(o *churnLog) {
	l.joinsSent = append(l.joinsSent, o.joinsSent...)
	l.joinsAcked = append(l.joinsAcked, o.joinsAcked...)
	l.quitsSent = append(l.quitsSent, o.quitsSent...)
	l.quitsAcked = append(l.quitsAcked, o.quitsAcked...)
}

// churnBook is what the harness knows of the room: how many were in it
// before the churn, and every node's log, each list sorted.
type churnBook struct {
	base  int64
	nodes []churnLog
}

// upTo is how many of the sorted times are at or before t.
func upTo(ts []time.Time, t time.Time) int64 {
	return int64(sort.Search(len(ts), func(i int) bool { return ts[i].After(t) }))
}

// truth is the true number by the harness's book at t: joins acked − quits acked.
func (b *churnBook) truth(t time.Time) int64 {
	n := b.base
	for _, l := range b.nodes {
		n += upTo(l.joinsAcked, t) - upTo(l.quitsAcked, t)
	}
	return n
}

// ops is the number of joins and quits acked.
func (b *churnBook) ops() int64 {
	var n int64
	for _, l := range b.nodes {
		n += int64(len(l.joinsAcked) + len(l.quitsAcked))
	}
	return n
}

// churnPoll is one get_online_member_num answer of one node.
type churnPoll struct {
	node    int
	t0, t1  time.Time // the poll was sent at t0, its answer read at t1
	counted int64
}

// explains says whether p's answer is explained by the operations in
// flight when ops acked through other nodes are given lag to reach the
// polled node: it lies between the joins acked by the poll's start (through
// another node: lag before it) − the quits sent by its end, and the joins
// sent by its end − the quits acked by its start (or lag before it).
func (b *churnBook) explains(p churnPoll, lag time.Duration) bool {
	lo, hi := b.base, b.base
	for i, l := range b.nodes {
		at := p.t0
		if i != p.node {
			at = at.Add(-lag)
		}
		lo += upTo(l.joinsAcked, at) - upTo(l.quitsSent, p.t1)
		hi += upTo(l.joinsSent, p.t1) - upTo(l.quitsAcked, at)
	}
	return p.counted >= lo && p.counted <= hi
}

// lagNeeded is the least time (to 100 µs) other nodes' acked ops need to
// reach the polled node for p to be explained, or false when no lag up to
// limit explains it. A longer lag only widens the window.
func (b *churnBook) lagNeeded(p churnPoll, limit time.Duration) (time.Duration, bool) {
	if b.explains(p, 0) {
		return 0, true
	}
	if !b.explains(p, limit) {
		return 0, false
	}
	lo, hi := time.Duration(0), limit // lo does not explain, hi does
	for hi-lo > 100*time.Microsecond {
		mid := (lo + hi) / 2
		if b.explains(p, mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, true
}

// churnRun is one timed churn phase.
type churnRun struct {
	book            churnBook
	polls           []churnPoll
	pollErrs        int
	dropped, opErrs int64
	opLat, pollLat  *histogram
	start           time.Time
	elapsed         time.Duration
	usage           string
}

// churnLoad runs the churn on clients (client i on node nodeOf[i]) at
// --churn-rate for env.Duration while each node's count is polled every
// --churn-poll; in says whether the clients start in the room, base how many
// are in it then.
func churnLoad(ctx context.Context, env *Env, hc *http.Client, nodes []*Proc, clients []*wsClient, nodeOf []int, in bool, base int64) (*churnRun, error) {
	run := &churnRun{opLat: &histogram{}, pollLat: &histogram{}, book: churnBook{base: base, nodes: make([]churnLog, len(nodes))}}
	runCtx, cancel := context.WithTimeout(ctx, env.Duration)
	defer cancel()
	tokens := make(chan struct{}, len(clients))
	var opErrs, dropped atomic.Int64
	var firstErr atomic.Value
	logs := make([]churnLog, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() { churnWorker(c, in, tokens, &logs[i], run.opLat, &opErrs, &firstErr) })
	}
	var usages []usage
	for _, p := range nodes {
		usages = append(usages, startUsage(p))
	}
	run.start = time.Now()
	go pace(runCtx, tokens, churnCfg.rate, &dropped)
	polls := make([][]churnPoll, len(nodes))
	pollErrs := make([]int, len(nodes))
	var pollers sync.WaitGroup
	for i, p := range nodes {
		pollers.Go(func() {
			polls[i], pollErrs[i] = pollChurn(runCtx, hc, restURL(p.URL, onlineNumPath), i, churnCfg.poll, run.pollLat)
		})
	}
	pollers.Wait()
	wg.Wait()
	run.elapsed = time.Since(run.start)
	run.usage = clusterUsage(usages)
	run.dropped, run.opErrs = dropped.Load(), opErrs.Load()
	for i := range logs {
		run.book.nodes[nodeOf[i]].merge(&logs[i])
	}
	for i := range run.book.nodes {
		l := &run.book.nodes[i]
		for _, ts := range [][]time.Time{l.joinsSent, l.joinsAcked, l.quitsSent, l.quitsAcked} {
			slices.SortFunc(ts, time.Time.Compare)
		}
	}
	for i := range polls {
		run.polls = append(run.polls, polls[i]...)
		run.pollErrs += pollErrs[i]
	}
	for _, p := range nodes {
		if err := p.Alive(); err != nil {
			return run, err
		}
	}
	if v := firstErr.Load(); v != nil {
		return run, v.(error)
	}
	if len(run.polls) == 0 {
		return run, fmt.Errorf("no poll answered in %s", env.Duration)
	}
	return run, nil
}

// churnStats sum up a run's polls.
type churnStats struct {
	sumErr, worstErr, exact int64
	outside                 int64         // not explained by the ops in flight alone
	unexplained             int64         // not explained even with limit for other nodes' ops to arrive
	worstLag                time.Duration // the most any explained poll needed
}

func (r *churnRun) stats(limit time.Duration) churnStats {
	var s churnStats
	for _, pl := range r.polls {
		e := pl.counted - r.book.truth(pl.t1)
		if e < 0 {
			e = -e
		}
		s.sumErr += e
		s.worstErr = max(s.worstErr, e)
		if e == 0 {
			s.exact++
		}
		lag, ok := r.book.lagNeeded(pl, limit)
		switch {
		case !ok:
			s.unexplained++
			s.outside++
		case lag > 0:
			s.outside++
		}
		s.worstLag = max(s.worstLag, lag)
	}
	return s
}

func runChurn(ctx context.Context, env *Env) (*Report, error) {
	rep := &Report{}
	nodeCounts, err := parseCounts(churnCfg.nodes)
	if err != nil {
		return rep, fmt.Errorf("--churn-nodes: %w", err)
	}
	var sizes []int
	if strings.TrimSpace(churnCfg.viewers) != "" {
		if sizes, err = parseCounts(churnCfg.viewers); err != nil {
			return rep, fmt.Errorf("--churn-viewers: %w", err)
		}
	}
	unreachable := ""
	if len(sizes) > 0 || nodeCounts[len(nodeCounts)-1] > 1 {
		unreachable = clusterReachable(ctx)
	}
	for _, n := range nodeCounts {
		if n > 1 && unreachable != "" {
			rep.Rows = append(rep.Rows, skipRow(churnCase(n, 0), "PostgreSQL or NATS not reachable"))
			rep.addNote("%d nodes: skipped — %s", n, unreachable)
			continue
		}
		if err := churnOn(ctx, env, rep, n); err != nil {
			return rep, fmt.Errorf("churn, %d nodes: %w", n, err)
		}
	}
	rep.addNote("true = joins acked − quits acked when the poll's answer arrived; an answer is explained by ops in flight when it lies " +
		"between joins acked at the poll's start − quits sent by its end and joins sent by its end − quits acked at its start. " +
		"With several nodes, ops acked through another node may need time to reach the polled node: such a poll is explained when " +
		"it is with the other nodes' acks taken that much earlier; the issue allows one presence interval")
	rep.addNote("baseline: none for the counts — a bare server has no presence to count, so only chatd's absolute error is reported")
	if len(sizes) > 0 {
		if unreachable != "" {
			rep.Rows = append(rep.Rows, skipRow("viewers", "PostgreSQL or NATS not reachable"))
			rep.addNote("presence traffic: skipped — %s", unreachable)
			return rep, nil
		}
		if err := presenceTrafficBySize(ctx, env, rep, sizes); err != nil {
			return rep, fmt.Errorf("churn, presence traffic: %w", err)
		}
	}
	return rep, nil
}

// churnCase names a churn case on n nodes.
func churnCase(n, clients int) string {
	where := "1 node (SQLite)"
	if n > 1 {
		where = fmt.Sprintf("%d nodes (PostgreSQL + NATS)", n)
	}
	if clients == 0 {
		return where
	}
	return fmt.Sprintf("%s, %s ops/s, %s clients", where, groupThousands(int64(churnCfg.rate)), groupThousands(int64(clients)))
}

// churnOn measures the churn on n nodes: one chatd on SQLite, or a cluster.
func churnOn(ctx context.Context, env *Env, rep *Report, n int) error {
	hc := env.Sources.httpClient(2 * n)
	var nodes []*Proc
	settle := 10 * time.Second
	if n == 1 {
		p, err := env.startChatd(ctx)
		if err != nil {
			return err
		}
		defer p.Stop()
		if err := createRoom(ctx, p, hc, benchRoom); err != nil {
			return err
		}
		nodes = []*Proc{p}
	} else {
		c, err := env.startCluster(ctx, n)
		if err != nil {
			return err
		}
		defer c.stop()
		if err := c.createRoomEverywhere(ctx, hc); err != nil {
			return err
		}
		nodes, settle = c.nodes, 3*c.interval+settle
	}
	cluster := &benchCluster{nodes: nodes}
	users := userIDs("churn_", churnCfg.pool)
	clients, nodeOf, err := env.dialSpread(ctx, nodes, users, "")
	if err != nil {
		return err
	}
	defer closeAll(clients)

	env.logf("churn: %d ops/s over %d clients on %d nodes for %s, polling every %s", churnCfg.rate, len(clients), n, env.Duration, churnCfg.poll)
	run, err := churnLoad(ctx, env, hc, nodes, clients, nodeOf, false, 0)
	if err != nil {
		return err
	}
	// Every op is acked: each node must now count exactly the truth.
	truth, stopped := run.book.truth(time.Now()), time.Now()
	if err := cluster.waitCounts(ctx, hc, settle, func(got int) bool { return int64(got) == truth }); err != nil {
		return fmt.Errorf("after the churn: %w", err)
	}
	converged := time.Since(stopped)

	s := run.stats(churnCfg.interval)
	polls := int64(len(run.polls))
	name := churnCase(n, len(clients))
	none := "n/a: no meaningful baseline"
	rows := []Row{
		{Metric: "joins+quits acked per second", Unit: "/s", Value: float64(run.book.ops()) / run.elapsed.Seconds()},
		{Metric: "polls", Value: float64(polls)},
		{Metric: "mean |counted − true|", Value: float64(s.sumErr) / float64(polls)},
		{Metric: "max |counted − true|", Value: float64(s.worstErr)},
		{Metric: "exact polls", Unit: "%", Value: 100 * float64(s.exact) / float64(polls)},
	}
	if n == 1 {
		rows = append(rows, Row{Metric: "polls not explained by ops in flight", Value: float64(s.outside), Target: "0", Status: check(s.outside == 0)})
	} else {
		rows = append(rows,
			Row{Metric: "polls not explained by ops in flight alone", Value: float64(s.outside)},
			Row{Metric: fmt.Sprintf("polls not explained with %s for other nodes' ops to arrive", churnCfg.interval), Value: float64(s.unexplained),
				Target: "0", Status: check(s.unexplained == 0)},
			Row{Metric: "time other nodes' ops needed to arrive, worst poll", Unit: "ms", Value: ms(s.worstLag)},
		)
	}
	rows = append(rows,
		Row{Metric: "every node exact after the churn stopped, within", Unit: "ms", Value: ms(converged)},
		Row{Metric: "join/quit round trip p99", Unit: "ms", Value: ms(run.opLat.quantile(0.99))},
	)
	for _, r := range rows {
		r.Case, r.Baseline, r.BaselineNote = name, notMeasured, none
		rep.Rows = append(rep.Rows, r)
	}
	rep.addNote("%s: poll round trip p50 %.2f ms, p99 %.2f ms: ops acked while a poll is in flight count in its error", name, ms(run.pollLat.quantile(0.5)), ms(run.pollLat.quantile(0.99)))
	rep.addNote("%s: %d ops not issued because every client was busy, %d ops failed, %d polls failed; %s", name, run.dropped, run.opErrs, run.pollErrs, run.usage)
	return nil
}

// dialSpread logs users in, user i on node i mod len(nodes), joining group
// when set; it returns the clients in user order and each one's node.
func (e *Env) dialSpread(ctx context.Context, nodes []*Proc, users []string, group string) ([]*wsClient, []int, error) {
	clients := make([]*wsClient, len(users))
	nodeOf := make([]int, len(users))
	for k, p := range nodes {
		var idx []int
		var mine []string
		for i := k; i < len(users); i += len(nodes) {
			idx, mine = append(idx, i), append(mine, users[i])
		}
		got, _, err := e.dialMany(ctx, dialPlan{URL: p.URL, Users: mine, Sigs: sigs(mine), Parallel: 64, Group: group}, dialLimit(len(mine)))
		if err != nil {
			closeAll(clients)
			return nil, nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		for j, i := range idx {
			clients[i], nodeOf[i] = got[j], k
		}
	}
	return clients, nodeOf, nil
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

// churnWorker alternates quit_group and join_group on one client, one per
// token, starting with a quit when the client is in the room.
func churnWorker(c *wsClient, in bool, tokens <-chan struct{}, log *churnLog, lat *histogram, errs *atomic.Int64, first *atomic.Value) {
	for range tokens {
		t0 := time.Now()
		var err error
		if in {
			log.quitsSent = append(log.quitsSent, t0)
			if err = c.quit(benchRoom); err == nil {
				log.quitsAcked = append(log.quitsAcked, time.Now())
			}
		} else {
			log.joinsSent = append(log.joinsSent, t0)
			if err = c.join(benchRoom); err == nil {
				log.joinsAcked = append(log.joinsAcked, time.Now())
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

// pollChurn asks node's get_online_member_num every interval until ctx
// ends.
func pollChurn(ctx context.Context, hc *http.Client, url string, node int, every time.Duration, lat *histogram) (polls []churnPoll, failed int) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return polls, failed
		case <-t.C:
		}
		t0 := time.Now()
		n, err := onlineCount(ctx, hc, url, benchRoom)
		t1 := time.Now()
		lat.record(t1.Sub(t0))
		if err != nil {
			if ctx.Err() == nil {
				failed++
			}
			continue
		}
		polls = append(polls, churnPoll{node: node, t0: t0, t1: t1, counted: int64(n)})
	}
}
