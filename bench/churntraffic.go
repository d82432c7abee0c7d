package main

import (
	"context"
	"fmt"
	"math"
	"time"
)

// The presence traffic of one room by size. A 100,000-viewer room over 3
// nodes needs 100,000 sockets in the generator, more than RLIMIT_NOFILE
// allows here, and the protocol has one user per connection, so the room
// is measured at several sizes that fit and the figures are compared with
// the smallest's: what does not grow from 3,000 to 18,000 viewers does not
// grow to 100,000 either, since nothing the nodes publish but a snapshot
// (none is asked for in a healthy cluster) lists the members.

// trafficTarget is the most a larger room's figure may be of the
// smallest's: it should be the same (the user IDs of the churning clients
// are the same at every size).
const trafficTarget = 1.2

// trafficResult is one room size.
type trafficResult struct {
	idle, churn trafficWindow
	run         *churnRun
	stats       churnStats
}

// bytesPerOp is the change messages' bytes per join or quit acked.
func (r trafficResult) bytesPerOp() float64 {
	return float64(r.churn.bytes["c"]) / float64(max(1, r.run.book.ops()))
}

// changeBytesPerOp is the same without the messages' header lines, whose
// share depends on how many changes a message batches.
func (r trafficResult) changeBytesPerOp() float64 {
	return float64(r.churn.changeBody) / float64(max(1, r.run.book.ops()))
}

func presenceTrafficBySize(ctx context.Context, env *Env, rep *Report, sizes []int) error {
	limit := fileLimit()
	var first *trafficResult
	for _, n := range sizes {
		name := fmt.Sprintf("%s viewers over %d nodes", groupThousands(int64(n)), churnCfg.viewerNodes)
		if n+fdReserve > limit {
			rep.Rows = append(rep.Rows, skipRow(name, "too few file descriptors"))
			rep.addNote("%s: skipped — the generator holds a socket per viewer, about %d descriptors, and RLIMIT_NOFILE here is %d", name, n+fdReserve, limit)
			continue
		}
		if n <= churnCfg.pool {
			return fmt.Errorf("%s: the room must be larger than --churn-pool (%d)", name, churnCfg.pool)
		}
		got, err := measureTraffic(ctx, env, rep, name, n)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if first == nil {
			first = &got
		}
		idle, churn, perOp, perChange := got.idle.bytesPerSec(), got.churn.bytesPerSec(), got.bytesPerOp(), got.changeBytesPerOp()
		target := fmt.Sprintf("ratio ≤ %.1f", trafficTarget)
		rate := float64(got.run.book.ops()) / got.run.elapsed.Seconds()
		rows := []Row{
			{Metric: "presence bytes/s on NATS, idle", Unit: "B/s", Value: idle, Baseline: first.idle.bytesPerSec(),
				Target: target, Status: check(idle <= trafficTarget*first.idle.bytesPerSec())},
			{Metric: fmt.Sprintf("presence bytes/s on NATS, %s joins+quits/s", groupThousands(int64(math.Round(rate)))), Unit: "B/s", Value: churn,
				Baseline: first.churn.bytesPerSec()},
			{Metric: "presence bytes per join or quit", Unit: "B", Value: perOp, Baseline: first.bytesPerOp()},
			{Metric: "presence bytes per join or quit, message headers left out", Unit: "B", Value: perChange, Baseline: first.changeBytesPerOp(),
				Target: target, Status: check(perChange <= trafficTarget*first.changeBytesPerOp())},
			{Metric: fmt.Sprintf("polls not explained with %s for other nodes' ops to arrive", churnCfg.interval), Value: float64(got.stats.unexplained),
				Baseline: notMeasured, BaselineNote: "n/a: no meaningful baseline", Target: "0", Status: check(got.stats.unexplained == 0)},
		}
		for _, r := range rows {
			r.Case = name
			rep.Rows = append(rep.Rows, r)
		}
	}
	if first != nil {
		rep.addNote("presence traffic: the payload bytes of every message on the cluster's presence subject, counted by a NATS subscriber "+
			"of the bench's own, i.e. what the nodes publish; NATS delivers each message to every node. Idle: %s after the room "+
			"stopped changing; churn: --churn-pool clients of the room quitting and rejoining at --churn-rate, the rest silent (a heartbeat "+
			"every 30 s). The baseline of each figure is the same figure for the smallest room. A change message starts with a header line "+
			"(type, node, incarnation, sequence number: 60–70 bytes) and batches the changes queued while the previous one was sent, so the "+
			"bytes per join or quit with headers depend on scheduling; without them they depend only on the user ID and room ID", env.Duration)
		rep.addNote("100,000 viewers would need 100,000 sockets in the generator (one user per connection, as the protocol has it) and RLIMIT_NOFILE "+
			"is %s here, so the room is measured at sizes that fit: a figure that does not grow from the smallest to the largest size tells "+
			"that it does not depend on the room size, and nothing a node publishes in a healthy cluster lists the members (only a snapshot "+
			"does, asked for after a lost message or by a node that starts)", groupThousands(int64(limit)))
	}
	return nil
}

// measureTraffic measures one room of n viewers over --churn-viewer-nodes
// nodes: the presence traffic while idle and under churn, and the counts.
func measureTraffic(ctx context.Context, env *Env, rep *Report, name string, n int) (trafficResult, error) {
	var res trafficResult
	c, err := env.startCluster(ctx, churnCfg.viewerNodes)
	if err != nil {
		return res, err
	}
	defer c.stop()
	hc := env.Sources.httpClient(2 * len(c.nodes))
	if err := c.createRoomEverywhere(ctx, hc); err != nil {
		return res, err
	}
	// The silent viewers first, kept alive; then the clients that churn.
	env.logf("churn: %s: logging %d viewers in", name, n)
	start := time.Now()
	viewers, _, err := env.dialSpread(ctx, c.nodes, userIDs("viewer_", n-churnCfg.pool), benchRoom)
	if err != nil {
		return res, err
	}
	defer closeAll(viewers)
	aliveCtx, stopAlive := context.WithCancel(ctx)
	defer stopAlive()
	go keepAlive(aliveCtx, viewers, heartbeatEvery)
	pool, nodeOf, err := env.dialSpread(ctx, c.nodes, userIDs("churn_", churnCfg.pool), benchRoom)
	if err != nil {
		return res, err
	}
	defer closeAll(pool)
	logins := time.Since(start)
	settle := 3*c.interval + 30*time.Second
	if err := c.waitCounts(ctx, hc, settle, func(got int) bool { return got == n }); err != nil {
		return res, err
	}
	counted := time.Since(start) - logins
	if !c.traffic.waitQuiet(c.interval+c.interval/2, 60*time.Second) {
		return res, fmt.Errorf("presence traffic still flowing 60s after the logins")
	}

	env.logf("churn: %s: idle for %s", name, env.Duration)
	before := c.traffic.read()
	time.Sleep(env.Duration)
	res.idle = c.traffic.read().since(before)

	env.logf("churn: %s: %d ops/s over %d clients for %s", name, churnCfg.rate, len(pool), env.Duration)
	before = c.traffic.read()
	run, err := churnLoad(ctx, env, hc, c.nodes, pool, nodeOf, true, int64(n))
	if err != nil {
		return res, err
	}
	res.churn = c.traffic.read().since(before)
	res.run, res.stats = run, run.stats(c.interval)
	truth, stopped := run.book.truth(time.Now()), time.Now()
	if err := c.waitCounts(ctx, hc, settle, func(got int) bool { return int64(got) == truth }); err != nil {
		return res, fmt.Errorf("after the churn: %w", err)
	}
	converged := time.Since(stopped)
	if err := c.alive(); err != nil {
		return res, err
	}
	if d, err := c.traffic.sub.Dropped(); err == nil && d > 0 {
		return res, fmt.Errorf("the bench's NATS subscriber dropped %d presence messages", d)
	}
	rep.addNote("%s: %s logins joining the room in %.1fs; every node counted %s %.0f ms later", name, groupThousands(int64(n)), logins.Seconds(), groupThousands(int64(n)), ms(counted))
	rep.addNote("%s, idle: %s", name, res.idle)
	rep.addNote("%s, churn: %s ops acked (%d not issued because every client was busy), %s; "+
		"every node exact %.0f ms after the churn stopped; worst poll needed %.1f ms for other nodes' ops to arrive; %s",
		name, groupThousands(run.book.ops()), run.dropped, res.churn, ms(converged), ms(res.stats.worstLag), run.usage)
	return res, nil
}
