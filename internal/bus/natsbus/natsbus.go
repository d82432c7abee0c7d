// Package natsbus is the bus.Bus for chatd running on several nodes: every
// node connects to the same NATS server (or cluster), so a push, kick or ban
// published on one node reaches the connections held by any other.
//
// It uses core NATS, not JetStream. The bus carries ephemeral pushes to live
// connections, and what must survive a fault is already in the SQL store:
// paying for persistence and acknowledgements here would buy nothing. The
// cost is at-most-once delivery when the network fails (see Publish).
package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/chatd/chatd/internal/bus"
)

// DefaultPrefix is the first subject token when Options.Prefix is empty. It
// equals the token the bus package's subject helpers start with, so by
// default the subjects on the wire are exactly the bus subjects, and
// `nats sub 'chatd.>'` shows what chatd sends.
const DefaultPrefix = "chatd"

// DefaultReconnectWait is the first delay before reconnecting when
// Options.ReconnectWait is zero. Each failed round doubles it up to
// maxReconnectWait.
const DefaultReconnectWait = 250 * time.Millisecond

const (
	// maxReconnectWait caps the backoff, so a node is back on the bus
	// within about a second of NATS returning: while it is off, no other
	// node's pushes reach its clients and its users drop out of the other
	// nodes' counts. A refused dial costs the server next to nothing, so a
	// handful of nodes retrying every second is no load.
	maxReconnectWait = time.Second

	// pingInterval bounds how long a silently dead TCP connection (no RST,
	// e.g. a dropped NAT entry) goes unnoticed: two unanswered pings, so
	// under a minute. Every push published meanwhile is lost, and nats.go's
	// default interval of two minutes would make that four.
	pingInterval = 20 * time.Second

	// The per-subscription pending limits are far above nats.go's defaults
	// because a message over the limit is dropped, not delayed. Handlers do
	// not block (bus contract), so the queue only grows in a burst.
	subPendingMsgs  = 1_000_000
	subPendingBytes = 64 << 20

	// closeTimeout bounds what Close waits for: the connection to return
	// when publishes are buffered, then the round trip that proves the
	// server has them. A node being stopped should not hang on an outage.
	closeTimeout = 5 * time.Second

	// defaultFlushTimeout bounds Flush when its ctx has none: nats.go
	// refuses a flush without a deadline.
	defaultFlushTimeout = time.Minute

	// hookFlushTimeout bounds the round trip after a reconnect that makes
	// sure the server has this node's subscriptions before the OnReconnect
	// hooks run. If it fails the connection dropped again, and the next
	// reconnect runs the hooks.
	hookFlushTimeout = 10 * time.Second
)

// Options configure Open and Connect. The zero value is usable.
type Options struct {
	// Name identifies the connection in NATS monitoring (connz); a node
	// name or host name is a good choice. Default "chatd".
	Name string
	// Prefix replaces the leading "chatd" token of every bus subject, so
	// several chatd clusters, or parallel test runs, can share one NATS
	// server without seeing each other's messages. It may have several
	// dot-separated tokens, none of them a wildcard. Default DefaultPrefix.
	Prefix string
	// ReconnectWait is the first delay between reconnect attempts; it
	// doubles after every failed round, up to 1 s (or ReconnectWait itself
	// if larger), less a random quarter, and attempts never stop. Default
	// DefaultReconnectWait.
	ReconnectWait time.Duration
	// NoEcho stops the server sending this node's own publishes back to
	// it: a node that delivers to its own connections directly publishes
	// only for the others. With it, this node's subscribers never see what
	// this node publishes (the bustest conformance suite, which assumes
	// they do, does not apply).
	NoEcho bool
	// Logger receives connection events (disconnect, reconnect, slow
	// consumer). Discards when nil.
	Logger *slog.Logger
}

// Bus is a bus.Bus over one NATS connection. A node holds one Bus and
// shares it between all its connections.
//
// Each subject this node listens to is one NATS subscription, however many
// handlers are registered for it: the message crosses the network once per
// node and is fanned out locally, which is what keeps one group message one
// bus message per node whatever the room size. nats.go gives every
// subscription its own delivery goroutine, so a handler only ever delays
// later messages of its own subject, never other subjects.
type Bus struct {
	nc     *nats.Conn
	prefix string
	log    *slog.Logger

	mu     sync.Mutex
	subs   map[string]*topic // by wire subject; nil after Close
	closed atomic.Bool       // written under mu; read without it by Publish

	lastErr atomic.Pointer[error] // latest connection error, for Connect's failure message

	// hooks are the OnReconnect callbacks, run by notifyLoop each time a
	// signal arrives on connected.
	hooksMu   sync.Mutex
	hooks     []func()
	connected chan struct{} // capacity 1: reconnects in a burst coalesce
	done      chan struct{} // closed by Close; ends notifyLoop

	// openedConnected records, under openMu, whether the first dial in
	// Open succeeded. nats.go reports the first connection through one
	// callback whether it happened in Open or later in the background; only
	// the later one is a (re)connection the hooks must hear of.
	openMu          sync.Mutex
	openedConnected bool
}

var (
	_ bus.Bus    = (*Bus)(nil)
	_ bus.Health = (*Bus)(nil)
)

// topic is the one NATS subscription a node holds for one wire subject,
// with the local handlers it fans out to.
type topic struct {
	ns *nats.Subscription
	// handlers is replaced, never mutated, under Bus.mu: dispatch reads it
	// without a lock, so handlers may (un)subscribe while being called.
	handlers atomic.Pointer[[]*handler]
}

type handler struct {
	fn func([]byte)
	// active is cleared before unsubscribe returns. nats.go may already
	// hold later messages in the subscription's pending queue, and the
	// NATS subscription itself stays up while other handlers use it, so
	// this flag is what stops deliveries after unsubscribe.
	active atomic.Bool
}

// Open starts connecting to the NATS server(s) at url (a comma-separated
// list is accepted) and returns without waiting for the connection: a node
// serves its own clients while NATS is down, and joins the cluster when
// it is up. Only the first dial happens before Open returns (bounded by
// nats.go's dial timeout, 2 s, and immediate when the port is closed);
// after that the Bus connects, and reconnects, in the background forever,
// and never closes by itself. Meanwhile Publish and Subscribe work
// (buffered, see Publish), Connected reports false, and OnReconnect hooks
// run when the connection is up.
func Open(url string, opts Options) (*Bus, error) {
	if opts.Name == "" {
		opts.Name = "chatd"
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if !validSubject(opts.Prefix) {
		return nil, fmt.Errorf("natsbus: prefix %q: %w", opts.Prefix, nats.ErrBadSubject)
	}
	if opts.ReconnectWait <= 0 {
		opts.ReconnectWait = DefaultReconnectWait
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Bus{
		prefix: opts.Prefix, log: opts.Logger, subs: make(map[string]*topic),
		connected: make(chan struct{}, 1), done: make(chan struct{}),
	}
	natsOpts := []nats.Option{
		nats.Name(opts.Name),
		// The three options that make "reconnect forever" true: no attempt
		// limit, retry even if the very first dial fails, and do not give up
		// when the server answers the same auth error twice (a credentials
		// rotation can take longer than two attempts).
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.IgnoreAuthErrorAbort(),
		nats.CustomReconnectDelay(backoff(opts.ReconnectWait, rand.Int64N)),
		nats.PingInterval(pingInterval),
		// Our own Close is not news; callbacks after it would also log
		// through a logger the caller may consider finished.
		nats.NoCallbacksAfterClientClose(),
		nats.ConnectHandler(b.onConnect),
		nats.DisconnectErrHandler(b.onDisconnect),
		nats.ReconnectHandler(b.onReconnect),
		nats.ReconnectErrHandler(b.onReconnectErr),
		nats.ClosedHandler(b.onClosed),
		nats.ErrorHandler(b.onAsyncError),
		nats.LameDuckModeHandler(b.onLameDuck),
	}
	if opts.NoEcho {
		natsOpts = append(natsOpts, nats.NoEcho())
	}
	b.openMu.Lock()
	nc, err := nats.Connect(url, natsOpts...)
	b.openedConnected = err == nil && nc.IsConnected()
	b.openMu.Unlock()
	if err != nil {
		// The URL is left out: it may carry credentials.
		return nil, fmt.Errorf("natsbus: connect: %w", err)
	}
	b.nc = nc
	go b.notifyLoop()
	if nc.IsConnected() {
		b.log.Info("natsbus: connected", "url", nc.ConnectedUrlRedacted(), "prefix", b.prefix)
	} else {
		b.log.Warn("natsbus: NATS not reachable; serving this node's connections alone and connecting in the background", "prefix", b.prefix)
	}
	return b, nil
}

// Connect is Open, then waits until the first connection is up or ctx is
// done, for callers that have nothing to do without the bus (tests,
// tools). Pass a ctx with a deadline to bound the wait; the first dial may
// outlast ctx by nats.go's dial timeout (2 s).
func Connect(ctx context.Context, url string, opts Options) (*Bus, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("natsbus: connect: %w", err)
	}
	b, err := Open(url, opts)
	if err != nil {
		return nil, err
	}
	if err := waitConnected(ctx, b.nc, &b.lastErr); err != nil {
		_ = b.Close()
		return nil, err
	}
	return b, nil
}

// waitConnected blocks until nc is connected, closed, or ctx is done.
func waitConnected(ctx context.Context, nc *nats.Conn, lastErr *atomic.Pointer[error]) error {
	// Listen before looking at the status, so a change in between is not
	// missed.
	ch := nc.StatusChanged(nats.CONNECTED, nats.CLOSED)
	defer nc.RemoveStatusListener(ch)
	for {
		switch nc.Status() {
		case nats.CONNECTED:
			return nil
		case nats.CLOSED:
			return fmt.Errorf("natsbus: connect: %w", cmpOr(nc.LastError(), nats.ErrConnectionClosed))
		}
		select {
		case <-ch:
		case <-ctx.Done():
			if p := lastErr.Load(); p != nil {
				return fmt.Errorf("natsbus: connect: %w (last attempt: %w)", ctx.Err(), *p)
			}
			return fmt.Errorf("natsbus: connect: %w", ctx.Err())
		}
	}
}

func cmpOr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// backoff doubles the delay after each failed round through the server
// list, from base up to maxReconnectWait (or base, if larger), and takes a
// random part of up to a quarter off, so nodes that lost NATS together do
// not all dial at the same instant when it returns. nats.go restarts the
// count at 1 for every new outage, and waits the first delay before the
// first attempt. randN is rand.Int64N, replaced in tests.
func backoff(base time.Duration, randN func(int64) int64) nats.ReconnectDelayHandler {
	ceiling := max(base, maxReconnectWait)
	return func(attempts int) time.Duration {
		d := base
		for i := 1; i < attempts && d < ceiling; i++ {
			d *= 2
		}
		d = min(d, ceiling)
		if q := int64(d / 4); q > 0 {
			d -= time.Duration(randN(q))
		}
		return d
	}
}

// Publish sends data to the subscribers of subject on every node, this one
// included unless Options.NoEcho is set (the message goes through the
// server, which keeps one order for local and remote subscribers).
//
// Publish never waits for the network: nats.go queues the message and a
// background flusher writes it. While the connection is down (or not up
// yet), messages are kept in nats.go's reconnect buffer (8 MB) and sent
// once it is back, so a NATS restart or a short network blip delays pushes
// rather than losing them; when the buffer is full Publish fails with an
// error wrapping nats.ErrReconnectBufExceeded. The buffer is lost if the
// connection has not returned within Close's bound. Other nodes receive a
// buffered message only if their own subscriptions are back at the server
// by the time it arrives there: core NATS is at most once. Messages over
// the server's max_payload (1 MB by default) fail with nats.ErrMaxPayload.
//
// A nil error means queued, not delivered: what is still in nats.go's
// write buffer, or in a socket that dies unnoticed, when the connection
// fails is lost.
func (b *Bus) Publish(ctx context.Context, subject string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.closed.Load() {
		return bus.ErrClosed
	}
	wire, err := b.wireSubject(subject)
	if err != nil {
		return fmt.Errorf("natsbus: publish: %w", err)
	}
	if err := b.nc.Publish(wire, data); err != nil {
		if b.closed.Load() { // raced with Close
			return bus.ErrClosed
		}
		return fmt.Errorf("natsbus: publish %s: %w", subject, err)
	}
	return nil
}

// Subscribe registers handler for subject. It does not wait for the
// network: the SUB is queued (or, while disconnected, sent on reconnect), so
// a message another node publishes right after Subscribe returns may still
// miss this node. Messages this node publishes after Subscribe returns are
// never missed, as they follow the SUB on the same connection. Use Flush to
// wait until the server has the subscription.
//
// handler runs on the subject's delivery goroutine, one message at a time.
func (b *Bus) Subscribe(subject string, fn func([]byte)) (unsubscribe func(), err error) {
	wire, err := b.wireSubject(subject)
	if err != nil {
		return nil, fmt.Errorf("natsbus: subscribe: %w", err)
	}
	h := &handler{fn: fn}
	h.active.Store(true)

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return nil, bus.ErrClosed
	}
	s := b.subs[wire]
	if s == nil {
		s = &topic{}
		s.handlers.Store(&[]*handler{})
		ns, err := b.nc.Subscribe(wire, s.dispatch)
		if err != nil {
			return nil, fmt.Errorf("natsbus: subscribe %s: %w", subject, err)
		}
		if err := ns.SetPendingLimits(subPendingMsgs, subPendingBytes); err != nil {
			_ = ns.Unsubscribe()
			return nil, fmt.Errorf("natsbus: subscribe %s: pending limits: %w", subject, err)
		}
		s.ns = ns
		b.subs[wire] = s
	}
	old := *s.handlers.Load()
	hs := make([]*handler, len(old), len(old)+1)
	copy(hs, old)
	hs = append(hs, h)
	s.handlers.Store(&hs)
	return func() { b.unsubscribe(wire, s, h) }, nil
}

// dispatch is the NATS message handler of one subject: it fans the message
// out to the local handlers still registered.
func (s *topic) dispatch(m *nats.Msg) {
	// m.Data is nats.go's own copy for this subscription, so every handler
	// may share and retain it as the bus contract allows.
	for _, h := range *s.handlers.Load() {
		if h.active.Load() {
			h.fn(m.Data)
		}
	}
}

func (b *Bus) unsubscribe(wire string, s *topic, h *handler) {
	if !h.active.Swap(false) {
		return // already unsubscribed, or dropped by Close
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs[wire] != s {
		return
	}
	old := *s.handlers.Load()
	hs := make([]*handler, 0, len(old))
	for _, o := range old {
		if o != h {
			hs = append(hs, o)
		}
	}
	if len(hs) > 0 {
		s.handlers.Store(&hs)
		return
	}
	// The last local handler left: stop the server sending this subject
	// here. A later Subscribe starts a fresh NATS subscription.
	delete(b.subs, wire)
	if err := s.ns.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		b.log.Warn("natsbus: unsubscribe", "subject", wire, "err", err)
	}
}

// Flush waits until the server has processed everything this node sent
// before the call, in particular its subscriptions: after Flush returns, a
// message another node publishes to the same server reaches them. (In a
// NATS cluster, interest still takes a moment to reach the other servers.)
// While disconnected it waits for the reconnection. It fails with ctx's
// error; nats.go needs a bound, so without a deadline on ctx it gives up
// after a minute.
func (b *Bus) Flush(ctx context.Context) error {
	if b.closed.Load() {
		return bus.ErrClosed
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultFlushTimeout)
		defer cancel()
	}
	if err := b.nc.FlushWithContext(ctx); err != nil {
		if b.closed.Load() {
			return bus.ErrClosed
		}
		return fmt.Errorf("natsbus: flush: %w", err)
	}
	return nil
}

// Connected reports whether the connection to NATS is up now.
func (b *Bus) Connected() bool { return b.nc.IsConnected() }

// OnReconnect registers fn to run each time the connection comes up after
// a time without one (see bus.Health): after a reconnect, or after the
// first connection when Open returned before it. Before fn runs, a round
// trip to the server makes sure it has this node's subscriptions again, so
// every message another node publishes afterwards arrives. Hooks run in
// registration order on one goroutine of the Bus; reconnects that happen
// while they run coalesce into one more run.
func (b *Bus) OnReconnect(fn func()) {
	b.hooksMu.Lock()
	b.hooks = append(b.hooks, fn)
	b.hooksMu.Unlock()
}

// notifyLoop runs the OnReconnect hooks after each (re)connection until
// Close. It is its own goroutine, not nats.go's callback goroutine,
// because it waits for a round trip, which must not hold up nats.go's
// other callbacks.
func (b *Bus) notifyLoop() {
	for {
		select {
		case <-b.done:
			return
		case <-b.connected:
		}
		err := b.nc.FlushTimeout(hookFlushTimeout)
		if b.closed.Load() {
			return
		}
		if err != nil {
			// Down again: the next reconnect signals again.
			b.log.Warn("natsbus: reconnected, but the subscriptions were not confirmed", "err", err)
			continue
		}
		b.hooksMu.Lock()
		hooks := slices.Clone(b.hooks)
		b.hooksMu.Unlock()
		for _, fn := range hooks {
			fn()
		}
	}
}

// signalConnected wakes notifyLoop without blocking nats.go.
func (b *Bus) signalConnected() {
	select {
	case b.connected <- struct{}{}:
	default: // a run is already pending; it will see this connection
	}
}

// Close drops every subscription, sends what was published before it, and
// closes the connection. Later Publish, Subscribe and Flush calls fail
// with bus.ErrClosed. It does not wait for handlers that are running, so a
// handler may call it.
//
// Sending takes at most 5 s in all. When the connection is up, Close waits
// for the round trip that proves the server has every earlier publish.
// When it is down and publishes are buffered, Close first waits for it to
// return within that bound; whatever is still buffered after it is lost,
// and the number of bytes is logged.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		return nil
	}
	b.closed.Store(true)
	for _, s := range b.subs {
		for _, h := range *s.handlers.Load() {
			h.active.Store(false)
		}
	}
	b.subs = nil
	b.mu.Unlock()
	close(b.done)

	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if pending, _ := b.nc.Buffered(); !b.nc.IsConnected() && pending > 0 {
		b.log.Warn("natsbus: close: waiting for NATS to send what is buffered", "bytes", pending)
		if err := waitConnected(ctx, b.nc, &b.lastErr); err != nil {
			b.log.Error("natsbus: close: NATS did not return; buffered publishes are lost", "bytes", pending, "err", err)
		}
	}
	// Only a round trip proves the server has our publishes: closing a
	// socket that still has unread input makes the kernel reset it and
	// discard what was not yet sent.
	if b.nc.IsConnected() {
		if err := b.nc.FlushWithContext(ctx); err != nil {
			b.log.Warn("natsbus: close: flush", "err", err)
		}
	}
	b.nc.Close()
	return nil
}

func (b *Bus) onDisconnect(_ *nats.Conn, err error) {
	b.log.Warn("natsbus: disconnected; buffering publishes until reconnected", "err", err)
}

func (b *Bus) onReconnect(nc *nats.Conn) {
	b.log.Info("natsbus: reconnected", "url", nc.ConnectedUrlRedacted())
	b.signalConnected()
}

// onConnect runs once, for the first connection. Made in Open it is no
// news; made later, it ends the degraded start.
func (b *Bus) onConnect(nc *nats.Conn) {
	b.openMu.Lock() // until Open has recorded which case this is
	inOpen := b.openedConnected
	b.openMu.Unlock()
	if inOpen {
		return
	}
	b.log.Info("natsbus: connected; this node has joined the cluster", "url", nc.ConnectedUrlRedacted(), "prefix", b.prefix)
	b.signalConnected()
}

func (b *Bus) onReconnectErr(_ *nats.Conn, err error) {
	b.lastErr.Store(&err)
	b.log.Warn("natsbus: reconnect attempt failed", "err", err)
}

func (b *Bus) onClosed(nc *nats.Conn) {
	// Our own Close suppresses this callback, so reaching here means
	// nats.go gave up despite MaxReconnects(-1): every Publish now fails.
	b.log.Error("natsbus: connection closed unexpectedly", "err", nc.LastError())
}

func (b *Bus) onLameDuck(nc *nats.Conn) {
	b.log.Info("natsbus: server entering lame duck mode; will reconnect elsewhere", "url", nc.ConnectedUrlRedacted())
}

// onAsyncError reports errors nats.go cannot return to a caller. The one
// that matters is a slow consumer: the subscription's pending queue passed
// its limits and messages were dropped, breaking "each message once".
func (b *Bus) onAsyncError(_ *nats.Conn, sub *nats.Subscription, err error) {
	if sub == nil {
		b.log.Error("natsbus: async error", "err", err)
		return
	}
	if errors.Is(err, nats.ErrSlowConsumer) {
		dropped, _ := sub.Dropped()
		b.log.Error("natsbus: slow consumer, messages dropped", "subject", sub.Subject, "dropped", dropped, "err", err)
		return
	}
	b.log.Error("natsbus: subscription error", "subject", sub.Subject, "err", err)
}
