package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
)

func init() {
	register(Scenario{
		Name:  "webhooks",
		Order: 60,
		Description: "durable one-to-one sends with the after-send callback on (C2C.CallbackAfterSendMsg to a receiver on loopback, " +
			"each callback stored in its message's transaction and deleted once answered) next to the same sends with callbacks off, " +
			"same run: the send scenario's REST and gateway phases; sends/s",
		Baseline: "the same phase on the same engine with no callback URL (nothing written, nothing sent)",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&webhooksCfg.engines, "webhooks-engines", "sqlite,postgres", "webhooks: storage engines, comma-separated (sqlite, postgres)")
			fs.StringVar(&webhooksCfg.phases, "webhooks-phases", "rest,gateway", "webhooks: phases to run, comma-separated (rest, gateway)")
			fs.IntVar(&webhooksCfg.rounds, "webhooks-rounds", 3, "webhooks: rounds of each phase, alternating whether callbacks are off or on first")
		},
		Run: runWebhooks,
	})
}

var webhooksCfg struct {
	engines, phases string
	rounds          int
}

// webhooksRatioTarget is the target: sends/s with callbacks on
// over sends/s with them off.
const webhooksRatioTarget = 0.8

// callbackReceiver is the app's callback server: a bare net/http handler
// answering success, counting what it gets.
type callbackReceiver struct {
	srv      *http.Server
	url      string
	received atomic.Int64
	keyless  atomic.Int64 // requests without an Idempotency-Key
}

func startCallbackReceiver() (*callbackReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &callbackReceiver{url: "http://" + ln.Addr().String() + "/imcb"}
	rc.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Header.Get("Idempotency-Key") == "" {
			rc.keyless.Add(1)
		}
		rc.received.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ActionStatus":"OK","ErrorCode":0}`)
	})}
	go func() { _ = rc.srv.Serve(ln) }()
	return rc, nil
}

func runWebhooks(ctx context.Context, env *Env) (*Report, error) {
	rep := &Report{}
	rc, err := startCallbackReceiver()
	if err != nil {
		return rep, err
	}
	defer rc.srv.Close()
	on := []string{"--callback-url", rc.url, "--callbacks", "C2C.CallbackAfterSendMsg"}
	phases := map[string]func(context.Context, *Env, string, ...string) (sendResult, error){"rest": sendREST, "gateway": sendGateway}
	target := fmt.Sprintf("ratio ≥ %.1f", webhooksRatioTarget)
	err = eachEngine(ctx, rep, "webhooks", webhooksCfg.engines, func(engine, label string) error {
		for phase := range strings.SplitSeq(webhooksCfg.phases, ",") {
			phase = strings.TrimSpace(phase)
			send, ok := phases[phase]
			if !ok {
				return fmt.Errorf("phase %q: want rest or gateway", phase)
			}
			// Rounds alternate which setting goes first, so a machine whose
			// load drifts (it is shared) weighs on both alike.
			var offs, ons []sendResult
			var rounds []string
			callbacks := int64(0)
			for round := range max(1, webhooksCfg.rounds) {
				var pair [2]sendResult
				for i := range 2 {
					withCallbacks := (i+round)%2 == 1
					env.logf("webhooks: %s, %s, round %d, callbacks on: %v", engine, phase, round+1, withCallbacks)
					var flags []string
					env.ProfileTag = fmt.Sprintf("-off-%d", round+1)
					if withCallbacks {
						flags = on
						env.ProfileTag = fmt.Sprintf("-on-%d", round+1)
					}
					before := rc.received.Load()
					got, err := send(ctx, env, engine, flags...)
					env.ProfileTag = ""
					if err != nil {
						return fmt.Errorf("%s, round %d, callbacks on: %v: %w", phase, round+1, withCallbacks, err)
					}
					if withCallbacks {
						pair[1] = got
						callbacks += rc.received.Load() - before
					} else {
						pair[0] = got
					}
				}
				offs, ons = append(offs, pair[0]), append(ons, pair[1])
				rounds = append(rounds, fmt.Sprintf("%s/%s = %.2f", groupThousands(int64(pair[1].rate)), groupThousands(int64(pair[0].rate)),
					pair[1].rate/max(1, pair[0].rate)))
			}
			off, got := combine(offs), combine(ons)
			name := fmt.Sprintf("%s, %s, after-send callback on", label, phaseLabel(phase))
			rep.Rows = append(rep.Rows,
				Row{Case: name, Metric: "durable sends/s (baseline: callbacks off)", Unit: "/s", Value: got.rate, Baseline: off.rate,
					Target: target, Status: check(got.rate >= webhooksRatioTarget*off.rate)},
				Row{Case: name, Metric: "reply latency p50 (baseline: callbacks off)", Unit: "ms", Value: got.p50, Baseline: off.p50},
				Row{Case: name, Metric: "reply latency p99 (baseline: callbacks off)", Unit: "ms", Value: got.p99, Baseline: off.p99},
			)
			rep.addNote("%s, %s: %d rounds of %s per setting; sends/s on/off per round: %s; the receiver got %s callbacks while chatd ran",
				label, phase, len(offs), env.Duration, strings.Join(rounds, ", "), groupThousands(callbacks))
			for i := range offs {
				rep.addNote("%s, %s, round %d: callbacks off: %s", label, phase, i+1, offs[i].summary)
				rep.addNote("%s, %s, round %d: callbacks on: %s", label, phase, i+1, ons[i].summary)
			}
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	if n := rc.keyless.Load(); n > 0 {
		return rep, fmt.Errorf("webhooks: %d callbacks came without an Idempotency-Key", n)
	}
	rep.addNote("each phase runs on a fresh server and a fresh database; sends/s is the mean of the rounds, latency their median; the receiver is a net/http handler in the " +
		"bench process (the generator's CPU) answering {\"ActionStatus\":\"OK\",\"ErrorCode\":0}; sends/s and latency as in the send scenario")
	return rep, nil
}

// combine is several rounds of one setting: the mean rate, the median
// latencies.
func combine(rs []sendResult) sendResult {
	var c sendResult
	p50s, p99s := make([]float64, len(rs)), make([]float64, len(rs))
	for i, r := range rs {
		c.rate += r.rate / float64(len(rs))
		p50s[i], p99s[i] = r.p50, r.p99
	}
	slices.Sort(p50s)
	slices.Sort(p99s)
	c.p50, c.p99 = p50s[len(rs)/2], p99s[len(rs)/2]
	return c
}

func phaseLabel(phase string) string {
	if phase == "rest" {
		return fmt.Sprintf("REST sendmsg, %d conns", sendCfg.restConns)
	}
	return fmt.Sprintf("gateway send_c2c, %d conns", sendCfg.conns)
}
