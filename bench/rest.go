package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func init() {
	register(Scenario{
		Name:  "rest",
		Order: 10,
		Description: "REST hot path: get_online_member_num on an AVChatRoom with 1,000 online members, " +
			"keep-alive HTTP/1.1 from 64 concurrent connections; requests/s and p50/p99 latency",
		Baseline: "bare net/http handler answering the same envelope bytes",
		Flags: func(fs *flag.FlagSet) {
			fs.IntVar(&restCfg.members, "rest-members", 1000, "rest: online members in the room")
			fs.IntVar(&restCfg.clients, "rest-clients", 64, "rest: concurrent keep-alive connections")
			fs.DurationVar(&restCfg.warmup, "rest-warmup", time.Second, "rest: unmeasured load before each timed phase")
			fs.IntVar(&restCfg.rounds, "rest-rounds", 3, "rest: timed phases per server, alternating chatd and baseline")
		},
		Run: runRest,
	})
}

var restCfg struct {
	members, clients, rounds int
	warmup                   time.Duration
}

// restTarget is the goal: chatd keeps 80% of a bare handler's
// throughput on the hot read path.
const restTarget = 0.8

// benchRoom is the live room of every scenario.
const benchRoom = "bench-room"

// heartbeatEvery keeps long-lived idle clients under the server's 90 s
// idle timeout.
const heartbeatEvery = time.Minute

// dialLimit bounds logging n clients in: a minimum of 100 logins/s.
func dialLimit(n int) time.Duration { return 30*time.Second + time.Duration(n)*10*time.Millisecond }

func runRest(ctx context.Context, env *Env) (*Report, error) {
	rep := &Report{}
	members, conns := restCfg.members, restCfg.clients
	body := []byte(`{"GroupId":"` + benchRoom + `"}`)
	want := fmt.Appendf(nil, `"OnlineMemberNum":%d`, members)
	const path = "v4/group_open_http_svc/get_online_member_num"

	// chatd, with the room filled by real logged-in members.
	p, err := env.startChatd(ctx)
	if err != nil {
		return rep, err
	}
	hc := env.Sources.httpClient(4)
	answer, cleanup, err := restFill(ctx, env, p, hc, members, body)
	defer cleanup()
	if err != nil {
		return rep, err
	}
	if !strings.Contains(string(answer), string(want)) {
		return rep, fmt.Errorf("rest: chatd answered %s, want %s", answer, want)
	}
	// The baseline answers the very bytes chatd answered.
	file := filepath.Join(env.TmpDir, "rest-answer.json")
	if err := os.WriteFile(file, answer, 0o600); err != nil {
		return rep, err
	}
	b, err := env.startBaseline(ctx, "baseline-http", "--body", file)
	if err != nil {
		return rep, err
	}
	defer b.Stop()

	// Rounds alternate which server goes first, so a drift of the machine
	// (another tenant, CPU frequency) weighs on both alike.
	sides := []*restSide{{p: p, lat: &histogram{}}, {p: b, lat: &histogram{}}}
	for _, s := range sides {
		if s.req, _, err = rawRequest(restURL(s.p.URL, path), body); err != nil {
			return rep, err
		}
	}
	var ratios []string
	for round := range max(1, restCfg.rounds) {
		order := sides
		if round%2 == 1 {
			order = []*restSide{sides[1], sides[0]}
		}
		for _, s := range order {
			env.logf("rest: round %d, %s, %d connections, %s", round+1, s.p.Name, conns, env.Duration)
			u := startUsage(s.p)
			wait := func() {}
			if round == 0 && s == sides[0] {
				wait = env.profileCPU(ctx, s.p, "rest", restCfg.warmup+env.Duration)
			}
			res, err := env.httpLoad(ctx, s.p.Addr, s.req, conns, restCfg.warmup, env.Duration, want, s.lat)
			wait()
			if err == nil {
				err = s.p.Alive()
			}
			if err != nil {
				return rep, fmt.Errorf("rest: %s: %w", s.p.Name, err)
			}
			s.requests += res.Requests
			s.failures += res.Failures
			s.window += res.Window
			s.last = res.rps()
			s.usage = append(s.usage, u.String())
		}
		ratios = append(ratios, fmt.Sprintf("%s/%s = %.2f", groupThousands(int64(sides[0].last)), groupThousands(int64(sides[1].last)), sides[0].last/sides[1].last))
	}

	got, base := sides[0], sides[1]
	name := fmt.Sprintf("%s members, %d conns", groupThousands(int64(members)), conns)
	ratio := got.rps() / base.rps()
	rep.Rows = append(rep.Rows,
		Row{Case: name, Metric: "requests/s", Unit: "req/s", Value: got.rps(), Baseline: base.rps(),
			Target: fmt.Sprintf("ratio ≥ %.1f", restTarget), Status: check(ratio >= restTarget)},
		Row{Case: name, Metric: "latency p50", Unit: "ms", Value: ms(got.lat.quantile(0.5)), Baseline: ms(base.lat.quantile(0.5))},
		Row{Case: name, Metric: "latency p99", Unit: "ms", Value: ms(got.lat.quantile(0.99)), Baseline: ms(base.lat.quantile(0.99))},
	)
	rep.addNote("%d rounds of %s per server, alternating which goes first; chatd/baseline req/s per round: %s", len(ratios), env.Duration, strings.Join(ratios, ", "))
	for _, s := range sides {
		rep.addNote("%s: %s requests in %s (%d unexpected answers); per round: %s", s.p.Name, groupThousands(s.requests), s.window, s.failures, strings.Join(s.usage, "; "))
	}
	rep.addNote("answer (%d bytes): %s", len(answer), strings.TrimSpace(string(answer)))
	rep.addNote("latency is measured by the generator (write to full answer read), so it includes the generator's own scheduling on its core")
	return rep, nil
}

// restSide is one server's totals over the rounds.
type restSide struct {
	p                  *Proc
	req                []byte
	lat                *histogram
	requests, failures int64
	window             time.Duration
	last               float64 // requests/s of the latest round
	usage              []string
}

func (s *restSide) rps() float64 { return float64(s.requests) / s.window.Seconds() }

// restFill creates the room, logs members in and makes them join, then
// records one get_online_member_num answer. cleanup stops the server and
// closes the members.
func restFill(ctx context.Context, env *Env, p *Proc, hc *http.Client, members int, body []byte) ([]byte, func(), error) {
	if err := createRoom(ctx, p, hc, benchRoom); err != nil {
		return nil, p.Stop, err
	}
	users := userIDs("rest_", members)
	env.logf("rest: logging %d members in", members)
	clients, _, err := env.dialMany(ctx, dialPlan{URL: p.URL, Users: users, Sigs: sigs(users), Parallel: 64,
		Group: benchRoom}, dialLimit(members))
	if err != nil {
		return nil, p.Stop, err
	}
	beat, stopBeats := context.WithCancel(ctx)
	go keepAlive(beat, clients, heartbeatEvery)
	cleanup := func() {
		stopBeats()
		closeAll(clients)
		p.Stop()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, restURL(p.URL, "v4/group_open_http_svc/get_online_member_num"), strings.NewReader(string(body)))
	if err != nil {
		return nil, cleanup, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, cleanup, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	return answer, cleanup, err
}
