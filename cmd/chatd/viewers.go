package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatd/chatd/client"
	"github.com/chatd/chatd/internal/usersig"
)

// loadAppDefaults supplies --sdkappid and --secret-key when they are not
// given, from the data dir's app file. main sets it; nil means no defaults.
var loadAppDefaults func() (sdkAppID uint64, secretKey string, ok bool)

// viewerSigLifetime is how long the simulated viewers' UserSigs last: a
// load test may run for days.
const viewerSigLifetime = 7 * 24 * time.Hour

// viewerStatusEvery is how often a status line is printed while holding.
const viewerStatusEvery = 10 * time.Second

// runViewers logs N simulated users in, makes them enter one live group and
// holds them there until ctx ends (Ctrl-C), printing progress. It exercises
// the gateway the way a live stream does and lets get_online_member_num and
// get_members be tried against real presence.
func runViewers(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("viewers", flag.ContinueOnError)
	fs.SetOutput(stdout)
	server := fs.String("server", "http://127.0.0.1:8080", "chatd server base URL")
	appID := fs.Uint64("sdkappid", 0, "SDKAppID (default: the app in the data dir)")
	key := fs.String("secret-key", "", "the app's secret key, to sign the viewers' UserSigs (default: from the data dir)")
	group := fs.String("group", "", "live group (AVChatRoom) the viewers enter")
	count := fs.Int("count", 10, "number of simulated viewers")
	prefix := fs.String("prefix", "viewer_", "UserID prefix: viewers are <prefix>1 ... <prefix>N")
	parallel := fs.Int("parallel", 32, "logins in flight at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*appID == 0 || *key == "") && loadAppDefaults != nil {
		if a, k, ok := loadAppDefaults(); ok {
			if *appID == 0 {
				*appID = a
			}
			if *key == "" {
				*key = k
			}
		}
	}
	switch {
	case *appID == 0 || *key == "":
		return errors.New("viewers: --sdkappid and --secret-key are required (no app found in the data dir)")
	case *group == "":
		return errors.New("viewers: --group is required")
	case *count < 1 || *parallel < 1:
		return errors.New("viewers: --count and --parallel must be at least 1")
	}

	v := &viewers{stdout: stdout, total: *count}
	err := v.connect(ctx, *parallel, func(ctx context.Context, i int) (*client.Client, error) {
		user := *prefix + strconv.Itoa(i+1)
		sig := usersig.Generate(*key, *appID, user, int64(viewerSigLifetime/time.Second), time.Now())
		c, err := client.Dial(ctx, *server, *appID, user, sig)
		if err != nil {
			return nil, fmt.Errorf("viewers: %s: login: %w", user, err)
		}
		if err := c.JoinGroup(ctx, *group); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("viewers: %s: join %s: %w", user, *group, err)
		}
		return c, nil
	})
	defer v.closeAll()
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while connecting
		}
		return err
	}
	fmt.Fprintf(stdout, "%d viewers in %s; press Ctrl-C to leave\n", *count, *group)
	return v.hold(ctx)
}

// viewers is the set of simulated clients and their counters.
type viewers struct {
	stdout io.Writer
	total  int

	mu      sync.Mutex
	clients []*client.Client

	online   atomic.Int64
	received atomic.Int64
	lost     chan struct{} // one send per viewer whose connection ended
}

// connect dials the viewers with at most parallel logins in flight and
// stops at the first failure: a bad key or a wrong group type would fail
// every viewer the same way.
func (v *viewers) connect(ctx context.Context, parallel int, dial func(context.Context, int) (*client.Client, error)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	v.lost = make(chan struct{}, v.total)
	step := max(1, v.total/10)
	var wg sync.WaitGroup
	slots := make(chan struct{}, parallel)
	for i := range v.total {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			c, err := dial(ctx, i)
			if err != nil {
				cancel(err)
				return
			}
			v.add(c)
			if n := v.online.Add(1); n%int64(step) == 0 || n == int64(v.total) {
				fmt.Fprintf(v.stdout, "joined %d/%d\n", n, v.total)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// add keeps the client and drains its events, so a viewer never becomes a
// slow consumer the server would drop.
func (v *viewers) add(c *client.Client) {
	v.mu.Lock()
	v.clients = append(v.clients, c)
	v.mu.Unlock()
	go func() {
		for ev := range c.Events() {
			v.received.Add(1)
			if ev.Op == "group_dropped" || ev.Op == "kicked" {
				fmt.Fprintf(v.stdout, "viewer event: %s\n", ev.Raw)
			}
		}
		v.online.Add(-1)
		v.lost <- struct{}{}
	}()
}

// hold prints a status line periodically until ctx ends or every viewer
// has been disconnected.
func (v *viewers) hold(ctx context.Context) error {
	tick := time.NewTicker(viewerStatusEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-v.lost:
			if v.online.Load() == 0 {
				return errors.New("viewers: every viewer was disconnected")
			}
		case <-tick.C:
			fmt.Fprintf(v.stdout, "online %d/%d, events received %d\n", v.online.Load(), v.total, v.received.Load())
		}
	}
}

// closeAll closes every viewer in parallel: closing 10,000 sockets one
// close handshake at a time would take a while.
func (v *viewers) closeAll() {
	v.mu.Lock()
	clients := v.clients
	v.clients = nil
	v.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() { _ = c.Close() })
	}
	wg.Wait()
	if len(clients) > 0 {
		fmt.Fprintf(v.stdout, "closed %d viewers\n", len(clients))
	}
}
