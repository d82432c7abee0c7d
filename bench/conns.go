package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func init() {
	register(Scenario{
		Name:  "conns",
		Order: 20,
		Description: "hold 10,000 and 50,000 idle logged-in WebSocket connections: server RSS per connection " +
			"and logins/s (first login, which creates the account, and a returning user's), then the same users all in one AVChatRoom; " +
			"then a mass reconnect: chatd restarted, every user logging in again within one second",
		Baseline: "bare gobwas/ws server: reads the login frame, answers it, holds the socket with one goroutine blocked in a read",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&connsCfg.counts, "counts", "10000,50000", "conns: connection counts to hold, comma-separated")
			fs.IntVar(&connsCfg.parallel, "login-parallel", 100, "conns: logins in flight at once")
			fs.BoolVar(&connsCfg.reconnect, "reconnect", true, "conns: also restart chatd and have every user log in again within one second")
			fs.DurationVar(&connsCfg.settle, "settle", 2*time.Second, "conns: wait after the last login before reading RSS")
		},
		Run: runConns,
	})
}

var connsCfg struct {
	counts    string
	parallel  int
	settle    time.Duration
	reconnect bool
}

// Targets from the issue.
const (
	connsBytesTarget = 10 << 10 // RSS per idle connection at 50,000
	connsLoginTarget = 5000     // logins per second
	// Logins/s against the bare baseline (issue 16).
	connsFirstRatio     = 0.7
	connsReturningRatio = 0.9
	// fdReserve is the descriptors a server needs besides its sockets
	// (listener, database, epoll, logs).
	fdReserve = 200
)

// parseCounts reads "10000,50000".
func parseCounts(s string) ([]int, error) {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("count %q: want a positive integer", part)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// fileLimit is the RLIMIT_NOFILE soft limit in force (the servers inherit
// it).
func fileLimit() int {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return 0
	}
	return int(min(lim.Cur, 1<<30))
}

// skipForDescriptors reports, as a skipped row with its reason, a case of n
// sockets that one process cannot hold under RLIMIT_NOFILE limit.
func (rep *Report) skipForDescriptors(name string, n, limit int) bool {
	if n+fdReserve <= limit {
		return false
	}
	rep.Rows = append(rep.Rows, skipRow(name, "too few file descriptors"))
	rep.addNote("%s: skipped — one server process needs about %d descriptors, and RLIMIT_NOFILE here is %d "+
		"(the hard limit: raising it needs CAP_SYS_RESOURCE, which this machine does not grant)", name, n+fdReserve, limit)
	return true
}

// connsResult is one server holding n connections.
type connsResult struct {
	rssBefore, rssAfter int64
	rssInRoom           int64         // chatd only: the same users again, all in one AVChatRoom
	cold, warm          time.Duration // time to log everyone in
	coldUsage           string
	warmUsage           string
	coldCPU, warmCPU    time.Duration // the server's CPU time over each phase
}

func (r connsResult) perConn(n int) float64 { return float64(r.rssAfter-r.rssBefore) / float64(n) }

func runConns(ctx context.Context, env *Env) (*Report, error) {
	rep := &Report{}
	counts, err := parseCounts(connsCfg.counts)
	if err != nil {
		return rep, err
	}
	limit := fileLimit()
	for _, n := range counts {
		name := groupThousands(int64(n)) + " conns"
		if rep.skipForDescriptors(name, n, limit) {
			continue
		}
		base, err := connsOnce(ctx, env, n, false)
		if err != nil {
			return rep, fmt.Errorf("conns %d: baseline: %w", n, err)
		}
		got, err := connsOnce(ctx, env, n, true)
		if err != nil {
			return rep, fmt.Errorf("conns %d: chatd: %w", n, err)
		}
		perConn, baseRate := got.perConn(n), float64(n)/base.cold.Seconds()
		cold, warm := float64(n)/got.cold.Seconds(), float64(n)/got.warm.Seconds()
		target := func(ratio float64) string {
			return fmt.Sprintf("ratio ≥ %.1f and ≥ %s/s", ratio, groupThousands(connsLoginTarget))
		}
		rep.Rows = append(rep.Rows,
			Row{Case: name, Metric: "server RSS per idle conn", Unit: "B", Value: perConn, Baseline: base.perConn(n),
				Target: "≤ 10 KB (issue: at 50,000)", Status: check(perConn <= connsBytesTarget)},
			Row{Case: name, Metric: "logins/s, first login (creates account)", Unit: "/s", Value: cold, Baseline: baseRate,
				Target: target(connsFirstRatio), Status: check(cold >= connsLoginTarget && cold >= connsFirstRatio*baseRate)},
			Row{Case: name, Metric: "logins/s, returning user", Unit: "/s", Value: warm, Baseline: baseRate,
				Target: target(connsReturningRatio), Status: check(warm >= connsLoginTarget && warm >= connsReturningRatio*baseRate)},
			Row{Case: name, Metric: "server CPU per first login", Unit: "µs", Value: perLogin(got.coldCPU, n), Baseline: perLogin(base.coldCPU, n)},
			Row{Case: name, Metric: "server CPU per returning login", Unit: "µs", Value: perLogin(got.warmCPU, n), Baseline: perLogin(base.coldCPU, n)},
			Row{Case: name, Metric: "server RSS per conn, all in one AVChatRoom", Unit: "B",
				Value: float64(got.rssInRoom-got.rssBefore) / float64(n), Baseline: math.NaN(), BaselineNote: "the baseline has no rooms"},
		)
		rep.addNote("%s: chatd RSS %s → %s MiB, baseline %s → %s MiB", name, mib(got.rssBefore), mib(got.rssAfter), mib(base.rssBefore), mib(base.rssAfter))
		rep.addNote("%s, first logins: %s", name, got.coldUsage)
		rep.addNote("%s, returning logins: %s", name, got.warmUsage)
		rep.addNote("%s, baseline logins: %s", name, base.coldUsage)
		if connsCfg.reconnect {
			got, base, err := connsReconnect(ctx, env, n)
			if err != nil {
				return rep, fmt.Errorf("conns %d: reconnect: %w", n, err)
			}
			rep.reconnectRows(name, got, base)
		}
	}
	rep.addNote("a login is TCP connect + WebSocket upgrade + login frame and its reply, %d in flight; UserSigs are signed before the clock starts", connsCfg.parallel)
	return rep, nil
}

// startWSServer starts chatd, or the bare WebSocket baseline.
func (e *Env) startWSServer(ctx context.Context, chatd bool) (*Proc, error) {
	if chatd {
		return e.startChatd(ctx)
	}
	return e.startBaseline(ctx, "baseline-ws")
}

// connsProfileTime is how much of a login phase --profile records: the
// phases last a few seconds, and the profile must end inside one.
const connsProfileTime = 2 * time.Second

// connsOnce starts a fresh server, logs n users in, and reads its RSS once
// they are all idle. For chatd it then closes them and logs the same users
// in again, timing returning logins, and once more into one AVChatRoom.
func connsOnce(ctx context.Context, env *Env, n int, chatd bool) (connsResult, error) {
	var r connsResult
	p, err := env.startWSServer(ctx, chatd)
	if err != nil {
		return r, err
	}
	defer p.Stop()
	waitIdle(p, 5*time.Second)
	if r.rssBefore, err = p.RSS(); err != nil {
		return r, err
	}
	users := userIDs(fmt.Sprintf("conns%d_", n), n)
	sig := sigs(users)
	plan := dialPlan{URL: p.URL, Users: users, Sigs: sig, Parallel: connsCfg.parallel}

	env.logf("conns: %s, logging %d users in", p.Name, n)
	u := startUsage(p)
	wait := env.profileCPU(ctx, p, fmt.Sprintf("conns-%d-first", n), connsProfileTime)
	clients, elapsed, err := env.dialMany(ctx, plan, dialLimit(n))
	// The usage is read before waiting for the profiles, which may last
	// longer than the logins: it is the logins' alone.
	r.cold, r.coldUsage, r.coldCPU = elapsed, u.String(), u.serverCPU()
	wait()
	if err != nil {
		return r, err
	}
	select {
	case <-time.After(connsCfg.settle):
	case <-ctx.Done():
	}
	r.rssAfter, err = p.RSS()
	if err == nil {
		err = p.Alive()
	}
	if err != nil || !chatd {
		closeAll(clients)
		return r, err
	}

	env.logf("conns: %s, closing %d connections, then logging the same users in again", p.Name, n)
	closeAll(clients)
	waitIdle(p, 15*time.Second)
	u = startUsage(p)
	wait = env.profileCPU(ctx, p, fmt.Sprintf("conns-%d-returning", n), connsProfileTime)
	again, elapsed, err := env.dialMany(ctx, plan, dialLimit(n))
	r.warm, r.warmUsage, r.warmCPU = elapsed, u.String(), u.serverCPU()
	wait()
	if err != nil {
		return r, err
	}
	closeAll(again)

	// The same users once more, every one of them in one live room: the
	// room's presence and fan-out state on top of the idle connections.
	env.logf("conns: %s, logging %d users in again, each joining one AVChatRoom", p.Name, n)
	waitIdle(p, 15*time.Second)
	hc := env.Sources.httpClient(1)
	if err := createRoom(ctx, p, hc, benchRoom); err != nil {
		return r, err
	}
	roomPlan := plan
	roomPlan.Group = benchRoom
	inRoom, _, err := env.dialMany(ctx, roomPlan, dialLimit(n))
	if err != nil {
		return r, err
	}
	defer closeAll(inRoom)
	select {
	case <-time.After(connsCfg.settle):
	case <-ctx.Done():
	}
	if r.rssInRoom, err = p.RSS(); err != nil {
		return r, err
	}
	count, err := onlineCount(ctx, hc, restURL(p.URL, "v4/group_open_http_svc/get_online_member_num"), benchRoom)
	if err != nil {
		return r, err
	}
	if count != n {
		return r, fmt.Errorf("room holds %d users, get_online_member_num says %d", n, count)
	}
	return r, nil
}

// perLogin is a phase's server CPU time per login, in µs: what a login
// costs the server whatever else the machine runs, where logins/s also
// depends on how much of its core the server got.
func perLogin(cpu time.Duration, n int) float64 { return float64(cpu.Microseconds()) / float64(n) }

func mib(b int64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }
