package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

func init() {
	register(Scenario{
		Name:  "fanout",
		Order: 30,
		Description: "one AVChatRoom with 10,000 / 50,000 online members; send_group_msg of 100 bytes every 100 ms: " +
			"deliveries/s and p50/p99 end-to-end latency",
		Baseline: "bare gobwas/ws broadcast server: encode once, one queue and writer goroutine per connection",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&fanoutCfg.members, "members", "10000,50000", "fanout: room sizes, comma-separated")
			fs.DurationVar(&fanoutCfg.interval, "interval", 100*time.Millisecond, "fanout: time between messages")
			fs.IntVar(&fanoutCfg.payload, "payload", 100, "fanout: bytes of custom data per message")
			fs.BoolVar(&fanoutCfg.baselineAnyway, "fanout-baseline", false,
				"fanout: measure the baseline even when chatd has no send_group_msg (checks the harness itself)")
		},
		Run: runFanout,
	})
}

var fanoutCfg struct {
	members        string
	interval       time.Duration
	payload        int
	baselineAnyway bool
}

// fanoutTarget: chatd's deliveries/s at least this share of the baseline's.
const fanoutTarget = 0.7

// sendPath is the vendor's group message API; chatd answers 60009 (unknown
// API) until it implements it.
const sendPath = "v4/group_open_http_svc/send_group_msg"

// fanoutSkip is printed while chatd cannot send to a group.
const fanoutSkip = "no group message API yet (needs send_group_msg)"

func runFanout(ctx context.Context, env *Env) (*Report, error) {
	rep := &Report{}
	sizes, err := parseCounts(fanoutCfg.members)
	if err != nil {
		return rep, err
	}
	supported, err := probeSend(ctx, env)
	if err != nil {
		return rep, err
	}
	if !supported {
		rep.Skipped = fanoutSkip
		if !fanoutCfg.baselineAnyway {
			return rep, nil
		}
	}
	limit := fileLimit()
	for _, n := range sizes {
		name := groupThousands(int64(n)) + " members"
		if rep.skipForDescriptors(name, n, limit) {
			continue
		}
		base, err := fanoutOnce(ctx, env, n, false)
		if err != nil {
			return rep, fmt.Errorf("fanout %d: baseline: %w", n, err)
		}
		got := fanoutResult{deliveriesPerSec: notMeasured, p50: notMeasured, p99: notMeasured}
		if supported {
			if got, err = fanoutOnce(ctx, env, n, true); err != nil {
				return rep, fmt.Errorf("fanout %d: chatd: %w", n, err)
			}
			rep.addNote("%s, chatd: %s", name, got.summary)
		}
		rep.addNote("%s, baseline: %s", name, base.summary)
		rate := Row{Case: name, Metric: "deliveries/s", Unit: "/s", Value: got.deliveriesPerSec, Baseline: base.deliveriesPerSec}
		if supported {
			rate.Target = fmt.Sprintf("ratio ≥ %.1f", fanoutTarget)
			rate.Status = check(got.deliveriesPerSec >= fanoutTarget*base.deliveriesPerSec)
		}
		bytesTarget := 1.5 * float64(fanoutCfg.payload+minimalFrame(msgsPerRun(env)))
		size := Row{Case: name, Metric: "bytes per delivery", Unit: "B", Value: got.bytesPerDelivery, Baseline: base.bytesPerDelivery,
			Target: fmt.Sprintf("≤ %.0f B", bytesTarget)}
		if supported {
			size.Status = check(got.bytesPerDelivery <= bytesTarget)
		}
		rep.Rows = append(rep.Rows, rate,
			Row{Case: name, Metric: "end-to-end latency p50", Unit: "ms", Value: got.p50, Baseline: base.p50},
			Row{Case: name, Metric: "end-to-end latency p99", Unit: "ms", Value: got.p99, Baseline: base.p99},
			size,
		)
	}
	rep.addNote("latency: send timestamp in the payload to receipt by the member's client, same clock, read by one member in %d (the others count frames without inflating them); one message every %s, %d-byte payload", latencySample, fanoutCfg.interval, fanoutCfg.payload)
	rep.addNote("bytes per delivery: the WebSocket frames (header included, compressed as they came) a member receives per message, "+
		"its clients speaking protocol 2 and offering permessage-deflate without context takeover, which chatd accepts (a push is compressed once for all members) and the baseline does not; "+
		"the payload is padded with English prose, not a repeated character that compression would flatter; "+
		"the target is 1.5 × (the %d-byte payload + a minimal frame of %d bytes: header, op, GroupId and MsgSeq); the baseline pushes the send_group_msg request body as it came",
		fanoutCfg.payload, minimalFrame(msgsPerRun(env)))
	return rep, nil
}

// probeSend asks chatd for send_group_msg: false when it answers 60009.
func probeSend(ctx context.Context, env *Env) (bool, error) {
	p, err := env.startChatd(ctx)
	if err != nil {
		return false, err
	}
	defer p.Stop()
	hc := env.Sources.httpClient(2)
	if err := createRoom(ctx, p, hc, benchRoom); err != nil {
		return false, err
	}
	res, err := adminCall(ctx, hc, restURL(p.URL, sendPath), sendBody(0, time.Now(), fanoutCfg.payload))
	switch {
	case err != nil:
		return false, fmt.Errorf("fanout: probe %s: %w", sendPath, err)
	case res.ErrorCode == 60009:
		return false, nil
	case res.ErrorCode != 0:
		return false, fmt.Errorf("fanout: probe %s: error %d: %s", sendPath, res.ErrorCode, res.ErrorInfo)
	}
	return true, nil
}

// payloadMark starts the custom data; seq and the send time follow it.
const payloadMark = "bench:"

// payloadText pads the custom data: English prose, as a chat message
// would carry, where a repeated character would let compression flatter
// the bytes a delivery costs. It needs no JSON escaping (no quote,
// backslash, <, > or &). Public domain: the openings of Pride and
// Prejudice and of Moby-Dick.
const payloadText = "It is a truth universally acknowledged, that a single man in possession of a good fortune, " +
	"must be in want of a wife. However little known the feelings or views of such a man may be on his first " +
	"entering a neighbourhood, this truth is so well fixed in the minds of the surrounding families, that he is " +
	"considered the rightful property of some one or other of their daughters. Call me Ishmael. Some years ago, " +
	"never mind how long precisely, having little or no money in my purse, and nothing particular to interest me " +
	"on shore, I thought I would sail about a little and see the watery part of the world. It is a way I have of " +
	"driving off the spleen and regulating the circulation. "

// payloadData is a message's custom data: the mark, the sequence number
// and the send time, padded to size bytes with payloadText (repeated
// beyond its length). It needs no JSON escaping.
func payloadData(seq int, at time.Time, size int) string {
	data := fmt.Sprintf("%s%d:%d:", payloadMark, seq, at.UnixNano())
	if pad := size - len(data); pad > 0 {
		data += strings.Repeat(payloadText, pad/len(payloadText)+1)[:pad]
	}
	return data
}

// sendBody is a send_group_msg request whose custom data carries the
// sequence number and the send time, padded to size bytes.
func sendBody(seq int, at time.Time, size int) map[string]any {
	data := payloadData(seq, at, size)
	return map[string]any{
		"GroupId": benchRoom, "From_Account": benchAdmin, "Random": seq,
		"MsgBody": []any{map[string]any{"MsgType": "TIMCustomElem", "MsgContent": map[string]string{"Data": data}}},
	}
}

// sentAt finds the send time in a pushed frame, whatever its shape.
func sentAt(frame []byte) (time.Time, bool) {
	i := bytes.Index(frame, []byte(payloadMark))
	if i < 0 {
		return time.Time{}, false
	}
	fields := bytes.SplitN(frame[i+len(payloadMark):], []byte(":"), 3)
	if len(fields) < 3 {
		return time.Time{}, false
	}
	ns, err := strconv.ParseInt(string(fields[1]), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// fanoutResult is one server delivering to one room.
type fanoutResult struct {
	deliveriesPerSec float64
	p50, p99         float64 // ms
	bytesPerDelivery float64 // WebSocket frame bytes a member receives per message
	summary          string
}

// wsHeaderLen is the size of the header of an unmasked server frame of n
// payload bytes (RFC 6455 §5.2).
func wsHeaderLen(n int) int {
	switch {
	case n < 126:
		return 2
	case n < 1<<16:
		return 4
	}
	return 10
}

// minimalFrame is the smallest push a member could be sent for message seq
// of the room besides its payload: a WebSocket header and the op, the room
// and the message's number. The target is bytes per delivery
// within 1.5× of this plus the payload.
func minimalFrame(seq int) int {
	head := fmt.Sprintf(`{"op":"push","GroupId":%q,"MsgSeq":%d,"event":{}}`, benchRoom, seq)
	return wsHeaderLen(len(head)+fanoutCfg.payload) + len(head)
}

// latencySample: one member in this many times its deliveries.
const latencySample = 10

// fanoutOnce fills a room of n members on a fresh server, sends for the
// configured duration, and waits (at most 5 s) for the last deliveries.
func fanoutOnce(ctx context.Context, env *Env, n int, chatd bool) (fanoutResult, error) {
	var r fanoutResult
	p, err := env.startWSServer(ctx, chatd)
	if err != nil {
		return r, err
	}
	defer p.Stop()
	hc := env.Sources.httpClient(2)
	if chatd {
		if err := createRoom(ctx, p, hc, benchRoom); err != nil {
			return r, err
		}
	}
	lat := &histogram{}
	var lastRecv atomic.Int64
	var disconnected atomic.Int64
	var delivered atomic.Int64
	var received atomic.Int64 // frame bytes of the deliveries
	drain := func(i int, c *wsClient) {
		// Every text frame a member receives after joining is a push of
		// the room. A sample of the members reads each one's send time
		// (inflating it, if compressed) for the latency, and counts only
		// frames that carry it; the others count frames, so that the
		// generator's inflation does not cap the deliveries it can see.
		timed := i%latencySample == 0
		go func() {
			c.receiveSized(timed, func(payload []byte, wire int) {
				now := time.Now()
				if timed {
					at, ok := sentAt(payload)
					if !ok {
						return
					}
					lat.record(now.Sub(at))
				}
				delivered.Add(1)
				lastRecv.Store(now.UnixNano())
				received.Add(int64(wire))
			})
			disconnected.Add(1)
		}()
	}
	users := userIDs("fan_", n)
	env.logf("fanout: %s, %d members joining", p.Name, n)
	// Members offer compression, as browsers and the Go client do: bytes
	// per delivery are then what such clients receive.
	clients, _, err := env.dialMany(ctx, dialPlan{URL: p.URL, Users: users, Sigs: sigs(users), Parallel: 100, Group: benchRoom, Deflate: true,
		OnClient: drain}, dialLimit(n))
	if err != nil {
		return r, err
	}
	defer closeAll(clients)

	msgs := msgsPerRun(env)
	url := restURL(p.URL, sendPath)
	env.logf("fanout: %s, %d messages to %d members", p.Name, msgs, n)
	u := startUsage(p)
	start := time.Now()
	tick := time.NewTicker(fanoutCfg.interval)
	defer tick.Stop()
	sent, slowSends := 0, 0
	for seq := range msgs {
		at := time.Now()
		if err := mustOK(adminCall(ctx, hc, url, sendBody(seq, at, fanoutCfg.payload))); err != nil {
			return r, fmt.Errorf("%s message %d: %w", sendPath, seq, err)
		}
		sent++
		if time.Since(at) > fanoutCfg.interval {
			slowSends++
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return r, ctx.Err()
		}
	}
	want := int64(sent) * int64(n)
	deadline := time.Now().Add(5 * time.Second)
	for delivered.Load() < want && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	usage := u.String()
	end := time.Unix(0, lastRecv.Load())
	got := delivered.Load()
	lost := disconnected.Load()
	if got > 0 {
		r.deliveriesPerSec = float64(got) / end.Sub(start).Seconds()
		r.bytesPerDelivery = float64(received.Load()) / float64(got)
	}
	r.p50, r.p99 = ms(lat.quantile(0.5)), ms(lat.quantile(0.99))
	r.summary = fmt.Sprintf("%d messages, %s of %s deliveries, %d members disconnected, %d sends slower than the interval; %s",
		sent, groupThousands(got), groupThousands(want), lost, slowSends, usage)
	return r, p.Alive()
}

// msgsPerRun is how many messages one fan-out run sends.
func msgsPerRun(env *Env) int { return max(1, int(env.Duration/fanoutCfg.interval)) }
