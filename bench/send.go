package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(Scenario{
		Name:  "send",
		Order: 50,
		Description: "durable one-to-one sends on SQLite and on PostgreSQL: openim/sendmsg from 128 keep-alive connections and " +
			"send_c2c from 500 logged-in connections, each waiting for its reply (sender's devices synced, so each message is " +
			"in both users' streams); sends/s. Then send_c2c at a steady 1,000/s: send-to-receipt latency p50/p99 on the recipient's connection",
		Baseline: "the same rows (history row, duplicate key, both stream entries, both counter updates) inserted by plain " +
			"prepared statements with the same durability, group-committed from as many concurrent writers, in a process on the server CPU",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&sendCfg.engines, "send-engines", "sqlite,postgres", "send: storage engines, comma-separated (sqlite, postgres)")
			fs.StringVar(&sendCfg.postgres, "send-postgres", defaultPostgres,
				"send: PostgreSQL URL to CREATE DATABASE from (a fresh database per phase, dropped after)")
			fs.IntVar(&sendCfg.conns, "send-conns", 500, "send: logged-in connections sending send_c2c")
			fs.IntVar(&sendCfg.restConns, "send-rest-conns", 128, "send: keep-alive connections sending openim/sendmsg")
			fs.IntVar(&sendCfg.rate, "send-rate", 1000, "send: sends per second of the latency phase")
			fs.IntVar(&sendCfg.pairs, "send-pairs", 100, "send: sender/recipient connection pairs of the latency phase")
			fs.IntVar(&sendCfg.payload, "send-payload", defaultSendPayload, "send: bytes of custom data per message")
			fs.DurationVar(&sendCfg.warmup, "send-warmup", time.Second, "send: unmeasured load before each timed phase")
			fs.StringVar(&sendCfg.phases, "send-phases", "rest,gateway,latency", "send: phases to run, comma-separated (rest, gateway, latency), e.g. one to profile")
		},
		Run: runSend,
	})
}

var sendCfg struct {
	engines, postgres, phases     string
	conns, restConns, rate, pairs int
	payload                       int
	warmup                        time.Duration
}

// defaultSendPayload is the custom data of each message, in bytes.
const defaultSendPayload = 100

// Targets from the issue.
const (
	sendRatioTarget   = 0.5   // of the store baseline
	sendGatewayTarget = 20000 // durable sends/s through the gateway on SQLite
)

// engineLabels names the engines in the report.
var engineLabels = map[string]string{"sqlite": "SQLite", "postgres": "PostgreSQL"}

func runSend(ctx context.Context, env *Env) (*Report, error) {
	rep := &Report{}
	err := eachEngine(ctx, rep, "send", sendCfg.engines, func(engine, label string) error {
		return sendOnEngine(ctx, env, rep, engine, label)
	})
	if err != nil {
		return rep, err
	}
	rep.addNote("every phase runs on a fresh server and a fresh database; sends/s counts the replies received inside the %s window after %s of unmeasured load; "+
		"the gateway's recipients are the other senders (user i sends to user i+1), so each send is also pushed to two connections; "+
		"the REST recipients have no connection", env.Duration, sendCfg.warmup)
	rep.addNote("baseline: the bench binary's hidden baseline-store subcommand on the server CPU — chatd's schema, then per message " +
		"2 UPDATE accounts … RETURNING event_seq, INSERT c2c_dedup, INSERT c2c_messages, 2 INSERT user_events as prepared statements, " +
		"in transactions of up to 1,000 messages taken by one committer from as many writers as chatd has connections; " +
		"its latency is submit to commit. On PostgreSQL the server's CPU (PostgreSQL's own processes, unpinned) shows as other processes")
	return rep, nil
}

// sendOnEngine measures one engine: throughput through REST and the
// gateway with their baselines, then latency at a steady rate.
func sendOnEngine(ctx context.Context, env *Env, rep *Report, engine, label string) error {
	phases := map[string]bool{}
	for ph := range strings.SplitSeq(sendCfg.phases, ",") {
		phases[strings.TrimSpace(ph)] = true
	}
	ratioTarget := fmt.Sprintf("ratio ≥ %.1f", sendRatioTarget)
	if phases["rest"] {
		base, err := env.storeBaseline(ctx, engine, sendCfg.restConns, 0)
		if err != nil {
			return fmt.Errorf("baseline for REST: %w", err)
		}
		got, err := sendREST(ctx, env, engine)
		if err != nil {
			return fmt.Errorf("REST: %w", err)
		}
		name := fmt.Sprintf("%s, REST sendmsg, %d conns", label, sendCfg.restConns)
		rep.Rows = append(rep.Rows, throughputRows(name, got, base, ratioTarget, got.rate >= sendRatioTarget*base.rate())...)
		rep.addNote("%s, REST: %s; baseline (%d writers): %s", label, got.summary, sendCfg.restConns, base)
	}
	if phases["gateway"] {
		base, err := env.storeBaseline(ctx, engine, sendCfg.conns, 0)
		if err != nil {
			return fmt.Errorf("baseline for the gateway: %w", err)
		}
		got, err := sendGateway(ctx, env, engine)
		if err != nil {
			return fmt.Errorf("gateway: %w", err)
		}
		target, met := ratioTarget, got.rate >= sendRatioTarget*base.rate()
		if engine == "sqlite" {
			target += fmt.Sprintf(" and ≥ %s/s", groupThousands(sendGatewayTarget))
			met = met && got.rate >= sendGatewayTarget
		}
		name := fmt.Sprintf("%s, gateway send_c2c, %d conns", label, sendCfg.conns)
		rep.Rows = append(rep.Rows, throughputRows(name, got, base, target, met)...)
		rep.addNote("%s, gateway: %s; baseline (%d writers): %s", label, got.summary, sendCfg.conns, base)
	}
	if phases["latency"] {
		got, err := sendLatency(ctx, env, engine)
		if err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		base, err := env.storeBaseline(ctx, engine, sendCfg.pairs, sendCfg.rate)
		if err != nil {
			return fmt.Errorf("latency baseline: %w", err)
		}
		name := fmt.Sprintf("%s, send_c2c at %s/s, %d pairs", label, groupThousands(int64(sendCfg.rate)), sendCfg.pairs)
		rep.Rows = append(rep.Rows,
			Row{Case: name, Metric: "send-to-receipt latency p50 (baseline: commit)", Unit: "ms", Value: got.p50, Baseline: base.P50},
			Row{Case: name, Metric: "send-to-receipt latency p99 (baseline: commit)", Unit: "ms", Value: got.p99, Baseline: base.P99},
		)
		rep.addNote("%s, latency: %s; baseline (%d writers at %s/s): %s", label, got.summary, sendCfg.pairs, groupThousands(int64(sendCfg.rate)), base)
	}
	return nil
}

// throughputRows are a throughput phase's figures next to its baseline's.
func throughputRows(name string, got sendResult, base storeBaseResult, target string, met bool) []Row {
	return []Row{
		{Case: name, Metric: "durable sends/s", Unit: "/s", Value: got.rate, Baseline: base.rate(), Target: target, Status: check(met)},
		{Case: name, Metric: "reply latency p50 (baseline: commit)", Unit: "ms", Value: got.p50, Baseline: base.P50},
		{Case: name, Metric: "reply latency p99 (baseline: commit)", Unit: "ms", Value: got.p99, Baseline: base.P99},
	}
}

// sendResult is one chatd phase.
type sendResult struct {
	rate     float64 // sends/s
	p50, p99 float64 // ms
	summary  string
}

// rate is the baseline's messages per second.
func (r storeBaseResult) rate() float64 { return float64(r.Messages) / r.Seconds }

// String is the baseline's context line.
func (r storeBaseResult) String() string {
	s := fmt.Sprintf("%s messages in %.0fs, %s transactions (%.0f messages each), baseline-store CPU %.0f%% of a core, other processes %.0f%% of a core",
		groupThousands(r.Messages), r.Seconds, groupThousands(r.Batches), float64(r.Messages)/max(1, float64(r.Batches)), r.CPU, r.Other)
	if r.Wait >= 1 {
		s += fmt.Sprintf("; its threads waited for a CPU %.0f%% of the time", r.Wait)
	}
	if r.Dropped > 0 {
		s += fmt.Sprintf(", %d sends not issued because every writer was busy", r.Dropped)
	}
	return s
}

// storeBaseline runs the store baseline on a fresh database of engine with
// writers concurrent writers, as fast as they go or paced at rate/s.
func (e *Env) storeBaseline(ctx context.Context, engine string, writers, rate int) (storeBaseResult, error) {
	var res storeBaseResult
	var dsn string
	if engine == "postgres" {
		url, drop, err := newPostgresDatabase(ctx, sendCfg.postgres)
		if err != nil {
			return res, err
		}
		defer drop()
		dsn = url
	} else {
		dir, err := os.MkdirTemp(e.TmpDir, "store-base-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(dir)
		dsn = filepath.Join(dir, "base.db")
	}
	e.logf("send: baseline-store on %s, %d writers, rate %d/s (0: unpaced), %s", engine, writers, rate, e.Duration)
	argv := []string{e.Self, "baseline-store", "--engine", engine, "--dsn", dsn, "--users", strconv.Itoa(writers),
		"--writers", strconv.Itoa(writers), "--rate", strconv.Itoa(rate), "--payload", strconv.Itoa(sendCfg.payload),
		"--warmup", sendCfg.warmup.String(), "--duration", e.Duration.String()}
	if e.Place.ServerCPU != "" {
		argv = append([]string{e.Place.taskset, "-c", e.Place.ServerCPU}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	logs := &tail{max: 16 << 10}
	cmd.Stderr = logs
	out, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("baseline-store: %w\n%s", err, logs)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		return res, fmt.Errorf("baseline-store: result %q: %w", out, err)
	}
	if res.Messages == 0 {
		return res, errors.New("baseline-store: nothing committed in the window")
	}
	return res, nil
}

// eachEngine runs measure on each engine of list (comma-separated), in
// order; PostgreSQL, when not reachable, is reported as a skipped row.
func eachEngine(ctx context.Context, rep *Report, scenario, list string, measure func(engine, label string) error) error {
	for engine := range strings.SplitSeq(list, ",") {
		engine = strings.TrimSpace(engine)
		label, ok := engineLabels[engine]
		if !ok {
			return fmt.Errorf("%s: engine %q: want sqlite or postgres", scenario, engine)
		}
		if engine == "postgres" {
			if err := pingPostgres(ctx, sendCfg.postgres); err != nil {
				rep.Rows = append(rep.Rows, skipRow(label, "PostgreSQL not reachable"))
				rep.addNote("%s: skipped — %v", label, err)
				continue
			}
		}
		if err := measure(engine, label); err != nil {
			return fmt.Errorf("%s: %s: %w", scenario, label, err)
		}
	}
	return nil
}

// startChatdOn starts chatd on a fresh database of engine, with extra
// serve flags; stop ends it and drops the database. SQLite needs nothing
// more: every chatd gets a fresh data dir.
func (e *Env) startChatdOn(ctx context.Context, engine string, extra ...string) (p *Proc, stop func(), err error) {
	if engine == "postgres" {
		nodes, stop, err := e.startNodes(ctx, sendCfg.postgres, 1, extra...)
		if err != nil {
			return nil, nil, err
		}
		return nodes[0], stop, nil
	}
	if p, err = e.startChatd(ctx, extra...); err != nil {
		return nil, nil, err
	}
	return p, p.Stop, nil
}
