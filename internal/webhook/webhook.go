// Package webhook sends the app callbacks of webhooks.md: "before"
// callbacks, whose answer allows, refuses or rewrites an action, inline
// within their timeout; "after" callbacks, which report a committed action,
// from a bounded queue in the background, in order per conversation. It
// signs requests (Sign/RequestTime), speaks mutual TLS, keeps a log of the
// last deliveries of each app, and measures REST rates for
// Alert.RequestOverLimit.
//
// The domains call it through small interfaces of their own
// (message.Hooks, group.Hooks, ...); the adapters in this package build the
// spec's bodies from what the domains pass.
package webhook

import (
	"context"
	"crypto/tls"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatd/chatd/internal/batch"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// lanes is how many after callbacks of one app are in flight at once.
// Callbacks with the same key (a conversation, a group, a user) share a
// lane, so they are sent in order.
const lanes = 16

// maxAnswer caps how much of an answer is read: answers are small JSON
// objects (a rewritten message body is at most 12 KB).
const maxAnswer = 64 << 10

// Options are what a Sender needs besides the apps.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// Node names this process in idempotency keys, so keys of different
	// nodes never collide, and owns its rows in the outbox; random when
	// empty. Two live processes must never share one.
	Node string
	// Outbox, when set, makes after callbacks durable: each is stored with
	// the action it reports (or before the action is answered) and deleted
	// once sent, and the rows a crash left are sent by the next process.
	Outbox im.OutboxStore
	// Unread reads a user's unread one-to-one count, for the bodies sent
	// from the outbox that report it.
	Unread func(ctx context.Context, appID uint64, userID string) (int64, error)
}

// Sender sends the callbacks of every configured app. Its zero apps send
// nothing; all its methods are safe for concurrent use.
type Sender struct {
	apps  map[uint64]*app
	log   *slog.Logger
	now   func() time.Time
	node  string
	seed  maphash.Seed
	ctx   context.Context
	stop  context.CancelFunc
	wg    sync.WaitGroup
	alert *meter
	// mu orders queueing against Close, which closes the lanes.
	mu     sync.RWMutex
	closed bool
	// quit is closed when Close starts: nothing waits for a lane then.
	quit     chan struct{}
	quitOnce sync.Once

	// The outbox (outbox.go); nil outbox keeps callbacks in memory only.
	outbox   im.OutboxStore
	appends  *batch.Committer[im.Callback, struct{}]
	unreadOf func(ctx context.Context, appID uint64, userID string) (int64, error)
	lastSeq  atomic.Int64
	bg       sync.WaitGroup // the lease and delete goroutines
	wake     chan struct{}
	delMu    sync.Mutex
	sent     []string // keys of rows to delete
}

// app is one app's callback configuration put to work.
type app struct {
	id   uint64
	cfg  config.Webhook
	base *url.URL
	// prefix and suffix surround the spec's parameters in a request URL.
	prefix, suffix string
	client         *http.Client
	tls            *tls.Config
	// direct says no proxy applies to the URL: the lanes send on their
	// own connections (laneConn).
	direct  bool
	timeout time.Duration
	queues  [lanes]chan *job
	log     *deliveryLog
	dropped atomic.Int64
	queued  atomic.Int64
}

// New builds the sender of the apps that have a callback URL and starts
// their delivery goroutines; Close stops them. It fails on a command word
// it does not know and on TLS files it cannot load.
func New(apps []config.App, opts Options) (*Sender, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Node == "" {
		opts.Node = randomNode()
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Sender{apps: map[uint64]*app{}, log: opts.Logger, now: opts.Now, node: opts.Node, seed: maphash.MakeSeed(), ctx: ctx, stop: stop,
		quit: make(chan struct{}), unreadOf: opts.Unread}
	s.alert = newMeter(s)
	for i := range apps {
		cfg := apps[i].Webhook
		if !cfg.Enabled() {
			continue
		}
		a, err := newApp(apps[i].SDKAppID, cfg)
		if err != nil {
			stop()
			return nil, fmt.Errorf("webhook: app %d: %w", apps[i].SDKAppID, err)
		}
		s.apps[a.id] = a
		for l := range a.queues {
			s.wg.Add(1)
			go s.deliver(a, a.queues[l])
		}
	}
	// Apps without callbacks write no rows, and need no lease.
	if opts.Outbox != nil && len(s.apps) > 0 {
		if err := s.startOutbox(opts.Outbox); err != nil {
			s.Close(ctx)
			return nil, err
		}
	}
	return s, nil
}

func newApp(id uint64, cfg config.Webhook) (*app, error) {
	for _, c := range cfg.Callbacks {
		if c != config.CallbacksAll && !known(c) {
			return nil, fmt.Errorf("callback %q is not a command word chatd sends", c)
		}
	}
	base, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	tlsConfig, err := clientTLS(cfg)
	if err != nil {
		return nil, err
	}
	a := &app{id: id, cfg: cfg, base: base, tls: tlsConfig, timeout: cfg.RequestTimeout(), log: newDeliveryLog(cfg.Log())}
	a.prefix, a.suffix = targetParts(base)
	proxy, err := http.ProxyFromEnvironment(&http.Request{URL: base})
	a.direct = err == nil && proxy == nil && (base.Scheme == "http" || base.Scheme == "https")
	a.client = &http.Client{
		Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			TLSClientConfig:     tlsConfig,
			MaxIdleConnsPerHost: lanes + 8, // the lanes plus concurrent before callbacks
			IdleConnTimeout:     90 * time.Second,
			ForceAttemptHTTP2:   true,
		},
		// A redirect is an answer that is not 200: the callback failed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	perLane := max(cfg.Queue()/lanes, 1)
	for l := range a.queues {
		a.queues[l] = make(chan *job, perLane)
	}
	return a, nil
}

// Close stops taking after callbacks and delivers those queued until ctx
// ends; what is left then is dropped (and logged as such), and stays in
// the outbox for the next start.
func (s *Sender) Close(ctx context.Context) {
	// quit first: a take-over waiting for room in a lane holds mu.
	s.quitOnce.Do(func() { close(s.quit) })
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	for _, a := range s.apps {
		for _, q := range a.queues {
			close(q)
		}
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.stop() // requests in flight end, queued jobs are dropped
		<-done
	}
	s.stop()
	s.closeOutbox()
}

// on returns the app when the command is switched on for it.
func (s *Sender) on(appID uint64, command string) *app {
	a := s.apps[appID]
	if a == nil || command != AlertRequestOverLimit && !a.cfg.Wants(command) {
		return nil
	}
	return a
}

// key is a delivery order key: callbacks with equal keys go in order.
func (s *Sender) lane(key string) int {
	return int(maphash.String(s.seed, key) % lanes)
}

// Active reports whether the app has a callback URL: the REST transport
// marks its calls' origin only for such apps.
func (s *Sender) Active(appID uint64) bool { return s.apps[appID] != nil }
