package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatd/chatd/internal/usersig"
)

// sourcePool spreads outgoing connections over 127.0.0.2..127.0.0.N: one
// source address has ~28k ephemeral ports, which 50,000 sockets (plus the
// TIME_WAIT ones of a previous phase) would exhaust.
type sourcePool struct {
	addrs []*net.TCPAddr // empty: let the kernel choose
	next  atomic.Uint64
}

// newSourcePool checks which of the n addresses can be bound and keeps
// those; on a machine where 127.0.0.2 is not local it dials from the
// default address.
func newSourcePool(n int) *sourcePool {
	p := &sourcePool{}
	for i := range n {
		a := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i))}
		ln, err := net.ListenTCP("tcp4", a)
		if err != nil {
			break
		}
		ln.Close()
		p.addrs = append(p.addrs, a)
	}
	return p
}

// String describes the addresses for the report header.
func (p *sourcePool) String() string {
	if len(p.addrs) == 0 {
		return "default source address"
	}
	return fmt.Sprintf("%d source addresses %s..%s", len(p.addrs), p.addrs[0].IP, p.addrs[len(p.addrs)-1].IP)
}

// DialContext dials from the next source address in turn.
func (p *sourcePool) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	if len(p.addrs) > 0 {
		d.LocalAddr = p.addrs[p.next.Add(1)%uint64(len(p.addrs))]
	}
	return d.DialContext(ctx, network, addr)
}

// httpClient is a keep-alive client dialing from the pool; conns bounds
// the idle connections kept per host. Every call is bounded by
// callTimeout, so a stuck server cannot hang a run.
func (p *sourcePool) httpClient(conns int) *http.Client {
	return &http.Client{Timeout: callTimeout, Transport: &http.Transport{
		DialContext:         p.DialContext,
		MaxIdleConnsPerHost: conns,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}}
}

// callTimeout bounds one REST call or one WebSocket request of the harness.
const callTimeout = 10 * time.Second

// sigs generates UserSigs ahead of a timed phase, so the generator's cost
// of signing is not counted as the server's login time.
func sigs(users []string) []string {
	out := make([]string, len(users))
	now := time.Now()
	for i, u := range users {
		out[i] = usersig.Generate(benchKey, benchAppID, u, 86400, now)
	}
	return out
}

// userIDs returns prefix0 .. prefix<n-1>.
func userIDs(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

// dialPlan is how dialMany connects one batch of clients.
type dialPlan struct {
	URL      string
	Users    []string
	Sigs     []string
	Parallel int
	Group    string // joined after login when set
	Deflate  bool   // offer permessage-deflate (dialWS)
	// OnClient, when set, is called with each logged-in client (e.g. to
	// read its pushes) before the next is dialled on that slot.
	OnClient func(i int, c *wsClient)
}

// dialMany logs every user in with at most Parallel logins in flight and
// returns the clients in user order and the time from the first dial to
// the last reply. It stops at the first failure, or at limit.
func (e *Env) dialMany(ctx context.Context, plan dialPlan, limit time.Duration) ([]*wsClient, time.Duration, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, limit, fmt.Errorf("dial %d clients: not done within %s", len(plan.Users), limit))
	defer cancel()
	clients := make([]*wsClient, len(plan.Users))
	var (
		wg       sync.WaitGroup
		firstErr error
		errOnce  sync.Once
		next     atomic.Int64
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	start := time.Now()
	for range max(1, plan.Parallel) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(plan.Users) || ctx.Err() != nil {
					return
				}
				c, err := e.Sources.dialWS(ctx, plan.URL, plan.Users[i], plan.Sigs[i], plan.Deflate)
				if err != nil {
					fail(fmt.Errorf("login %s: %w", plan.Users[i], err))
					return
				}
				clients[i] = c
				if plan.Group != "" {
					if err := c.join(plan.Group); err != nil {
						fail(fmt.Errorf("%s: join %s: %w", plan.Users[i], plan.Group, err))
						return
					}
				}
				if plan.OnClient != nil {
					plan.OnClient(i, c)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr == nil && ctx.Err() != nil {
		firstErr = context.Cause(ctx)
	}
	if firstErr != nil {
		closeAll(clients)
		return nil, elapsed, firstErr
	}
	return clients, elapsed, nil
}

// closeAll closes clients and forgets them (nil entries are skipped).
func closeAll(clients []*wsClient) {
	for i, c := range clients {
		if c != nil {
			_ = c.Close()
			clients[i] = nil
		}
	}
}

// restURL is the URL of a REST command called as the admin.
func restURL(base, path string) string {
	sig := usersig.Generate(benchKey, benchAppID, benchAdmin, 86400, time.Now())
	return fmt.Sprintf("%s/%s?sdkappid=%d&identifier=%s&usersig=%s&random=1&contenttype=json", base, path, benchAppID, benchAdmin, sig)
}

// envelope is the part of a REST answer the harness reads.
type envelope struct {
	ActionStatus    string
	ErrorCode       int
	ErrorInfo       string
	OnlineMemberNum int
}

// adminCall posts body to a REST command as the admin.
func adminCall(ctx context.Context, hc *http.Client, url string, body any) (envelope, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return envelope{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return envelope{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return envelope{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return envelope{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return envelope{}, fmt.Errorf("HTTP %d: %s", resp.StatusCode, data)
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return envelope{}, fmt.Errorf("reply is not JSON: %s", data)
	}
	return env, nil
}

// mustOK turns a failed envelope into an error.
func mustOK(env envelope, err error) error {
	if err != nil {
		return err
	}
	if env.ErrorCode != 0 {
		return fmt.Errorf("error %d: %s", env.ErrorCode, env.ErrorInfo)
	}
	return nil
}

// createRoom creates the AVChatRoom every scenario uses.
func createRoom(ctx context.Context, p *Proc, hc *http.Client, group string) error {
	err := mustOK(adminCall(ctx, hc, restURL(p.URL, "v4/group_open_http_svc/create_group"),
		map[string]string{"Type": "AVChatRoom", "GroupId": group, "Name": "bench"}))
	if err != nil {
		return fmt.Errorf("create_group %s: %w", group, err)
	}
	return nil
}

// onlineCount asks get_online_member_num.
func onlineCount(ctx context.Context, hc *http.Client, url, group string) (int, error) {
	env, err := adminCall(ctx, hc, url, map[string]string{"GroupId": group})
	if err := mustOK(env, err); err != nil {
		return 0, fmt.Errorf("get_online_member_num: %w", err)
	}
	return env.OnlineMemberNum, nil
}
