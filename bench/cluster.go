package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// startNodes starts n chatd processes on one fresh PostgreSQL database
// created on the server of admin, each with the extra serve flags (the bus
// of a cluster); stop ends them all and drops the database.
func (e *Env) startNodes(ctx context.Context, admin string, n int, extra ...string) (nodes []*Proc, stop func(), err error) {
	url, drop, err := newPostgresDatabase(ctx, admin)
	if err != nil {
		return nil, nil, err
	}
	stop = func() {
		for _, p := range nodes {
			p.Stop()
		}
		drop()
	}
	for i := range n {
		p, err := e.startChatd(ctx, append([]string{"--store", url}, extra...)...)
		if err != nil {
			stop()
			return nil, nil, err
		}
		if n > 1 {
			p.Name = fmt.Sprintf("chatd node %d", i+1)
		}
		nodes = append(nodes, p)
	}
	return nodes, stop, nil
}

// benchCluster is n chatd nodes on one PostgreSQL database and one NATS,
// under a subject prefix of their own, with the bench listening to their
// presence traffic.
type benchCluster struct {
	nodes    []*Proc
	traffic  *presenceTraffic
	interval time.Duration
	stop     func()
}

// startCluster starts a cluster of n nodes with the presence interval of
// --churn-interval on a fresh database of --churn-postgres and the NATS of
// --churn-nats.
func (e *Env) startCluster(ctx context.Context, n int) (*benchCluster, error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "chatd_bench_" + hex.EncodeToString(b[:])
	traffic, err := listenPresence(churnCfg.nats, prefix)
	if err != nil {
		return nil, err
	}
	nodes, stop, err := e.startNodes(ctx, churnCfg.postgres, n, "--bus", churnCfg.nats, "--bus-prefix", prefix,
		"--presence-interval", churnCfg.interval.String())
	if err != nil {
		traffic.close()
		return nil, err
	}
	return &benchCluster{nodes: nodes, traffic: traffic, interval: churnCfg.interval, stop: func() { stop(); traffic.close() }}, nil
}

// clusterReachable says why a cluster cannot run here, or "" when
// PostgreSQL and NATS both answer.
func clusterReachable(ctx context.Context) string {
	if err := pingPostgres(ctx, churnCfg.postgres); err != nil {
		return fmt.Sprintf("PostgreSQL at %s not reachable: %v", churnCfg.postgres, err)
	}
	nc, err := nats.Connect(churnCfg.nats, nats.Timeout(5*time.Second))
	if err != nil {
		return fmt.Sprintf("NATS at %s not reachable: %v", churnCfg.nats, err)
	}
	nc.Close()
	return ""
}

// createRoomEverywhere creates the bench room through the first node and
// waits until every node answers for it: a node caches group types for up
// to a second, so a room created elsewhere may at first be unknown there.
func (c *benchCluster) createRoomEverywhere(ctx context.Context, hc *http.Client) error {
	if err := createRoom(ctx, c.nodes[0], hc, benchRoom); err != nil {
		return err
	}
	return c.waitCounts(ctx, hc, 10*time.Second, func(int) bool { return true })
}

// waitCounts polls get_online_member_num on every node until ok accepts
// each node's answer, and fails after limit.
func (c *benchCluster) waitCounts(ctx context.Context, hc *http.Client, limit time.Duration, ok func(int) bool) error {
	deadline := time.Now().Add(limit)
	for _, p := range c.nodes {
		url := restURL(p.URL, onlineNumPath)
		for {
			n, err := onlineCount(ctx, hc, url, benchRoom)
			if err == nil && ok(n) {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("%s: count %d (err %v) still not as expected after %s", p.Name, n, err, limit)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

// onlineNumPath is the count every churn poll asks.
const onlineNumPath = "v4/group_open_http_svc/get_online_member_num"

// alive reports the first node that has exited.
func (c *benchCluster) alive() error {
	for _, p := range c.nodes {
		if err := p.Alive(); err != nil {
			return err
		}
	}
	return nil
}

// Presence message types (the "t" of the header line that starts every
// message on the presence subject; internal/presence/wire.go).
var presenceTypes = []string{"c", "b", "s", "l"}

// presenceTypeNames names them in the report.
var presenceTypeNames = map[string]string{"c": "changes", "b": "beats", "s": "snapshot parts", "l": "leaves"}

// presenceTraffic counts the payload bytes and messages the nodes publish
// on their presence subject, by message type, as NATS delivers them to a
// subscriber of the bench's own.
type presenceTraffic struct {
	nc    *nats.Conn
	sub   *nats.Subscription
	bytes map[string]*atomic.Int64 // by message type; "?" for unreadable
	msgs  map[string]*atomic.Int64
	body  atomic.Int64 // bytes of change messages after their header line
	last  atomic.Int64 // unix nanos of the last message other than a beat
}

// listenPresence subscribes to <prefix>.presence on the NATS at url.
func listenPresence(url, prefix string) (*presenceTraffic, error) {
	nc, err := nats.Connect(url, nats.Name("chatd bench"), nats.Timeout(5*time.Second))
	if err != nil {
		return nil, fmt.Errorf("nats %s: %w", url, err)
	}
	t := &presenceTraffic{nc: nc, bytes: map[string]*atomic.Int64{}, msgs: map[string]*atomic.Int64{}}
	for _, typ := range append(presenceTypes, "?") {
		t.bytes[typ], t.msgs[typ] = new(atomic.Int64), new(atomic.Int64)
	}
	t.sub, err = nc.Subscribe(prefix+".presence", t.count)
	if err == nil {
		err = t.sub.SetPendingLimits(-1, -1)
	}
	if err == nil {
		err = nc.Flush()
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats subscribe %s.presence: %w", prefix, err)
	}
	return t, nil
}

func (t *presenceTraffic) count(m *nats.Msg) {
	var h struct {
		Type string `json:"t"`
	}
	line, body, _ := bytes.Cut(m.Data, []byte{'\n'})
	typ := "?"
	if json.Unmarshal(line, &h) == nil && t.bytes[h.Type] != nil {
		typ = h.Type
	}
	t.bytes[typ].Add(int64(len(m.Data)))
	t.msgs[typ].Add(1)
	if typ == "c" {
		t.body.Add(int64(len(body)))
	}
	if typ != "b" {
		t.last.Store(time.Now().UnixNano())
	}
}

func (t *presenceTraffic) close() { t.nc.Close() }

// trafficCount is the traffic seen up to a moment.
type trafficCount struct {
	at          time.Time
	bytes, msgs map[string]int64
	changeBody  int64
}

func (t *presenceTraffic) read() trafficCount {
	c := trafficCount{at: time.Now(), bytes: map[string]int64{}, msgs: map[string]int64{}, changeBody: t.body.Load()}
	for typ, n := range t.bytes {
		c.bytes[typ], c.msgs[typ] = n.Load(), t.msgs[typ].Load()
	}
	return c
}

// trafficWindow is the traffic between two counts.
type trafficWindow struct {
	elapsed     time.Duration
	bytes, msgs map[string]int64
	changeBody  int64 // bytes of the change messages less their headers
}

func (c trafficCount) since(before trafficCount) trafficWindow {
	w := trafficWindow{elapsed: c.at.Sub(before.at), bytes: map[string]int64{}, msgs: map[string]int64{}, changeBody: c.changeBody - before.changeBody}
	for typ := range c.bytes {
		w.bytes[typ], w.msgs[typ] = c.bytes[typ]-before.bytes[typ], c.msgs[typ]-before.msgs[typ]
	}
	return w
}

func (w trafficWindow) totalBytes() int64 {
	var n int64
	for _, b := range w.bytes {
		n += b
	}
	return n
}

func (w trafficWindow) bytesPerSec() float64 { return float64(w.totalBytes()) / w.elapsed.Seconds() }

// String lists bytes and messages by type.
func (w trafficWindow) String() string {
	var b bytes.Buffer
	for _, typ := range append(presenceTypes, "?") {
		if w.msgs[typ] == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		name := presenceTypeNames[typ]
		if name == "" {
			name = "unreadable"
		}
		fmt.Fprintf(&b, "%s %s B in %s messages", name, groupThousands(w.bytes[typ]), groupThousands(w.msgs[typ]))
	}
	if b.Len() == 0 {
		return "no messages in " + strconv.FormatFloat(w.elapsed.Seconds(), 'f', 1, 64) + "s"
	}
	return fmt.Sprintf("%s over %.1fs", b.String(), w.elapsed.Seconds())
}

// waitQuiet waits until no message other than a beat has arrived for
// quiet, at most limit: after thousands of joins the nodes' last changes
// (and each node's once-an-interval list of connected users) are out
// before a window starts.
func (t *presenceTraffic) waitQuiet(quiet, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if time.Since(time.Unix(0, t.last.Load())) >= quiet {
			return true
		}
		time.Sleep(quiet / 10)
	}
	return false
}

// clusterUsage says how busy the nodes, the generator and the rest of the
// machine were over a phase, as usage.String does for one server; with
// several nodes, other processes are PostgreSQL, NATS and the rest of the
// machine.
func clusterUsage(us []usage) string {
	if len(us) == 1 {
		return us[0].String()
	}
	wall := time.Since(us[0].at)
	var cpus, waits []string
	var servers time.Duration
	for _, u := range us {
		cpu := u.serverCPU()
		servers += cpu
		cpus = append(cpus, fmt.Sprintf("%.0f%%", pct(cpu, wall)))
		waits = append(waits, fmt.Sprintf("%.0f%%", pct(u.p.RunqueueWait()-u.wait, wall)))
	}
	gen := selfCPU() - us[0].generator
	other := max(0, machineBusy()-us[0].total-servers-gen)
	s := fmt.Sprintf("chatd nodes CPU %s of a core (their threads waited for a CPU %s of the time), generator CPU %.0f%% of a core, "+
		"other processes (PostgreSQL, NATS, the rest of the machine) %.0f%% of a core, over %.1fs",
		strings.Join(cpus, " + "), strings.Join(waits, ", "), pct(gen, wall), pct(other, wall), wall.Seconds())
	if pct(gen, wall) >= saturated {
		s += " — generator saturated: this figure is the generator's limit, a floor for the server's"
	}
	return s
}
