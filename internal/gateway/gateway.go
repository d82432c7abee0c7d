// Package gateway is the WebSocket endpoint end users connect to
// (/v4/ws): login with a UserSig, heartbeats, entering and leaving live
// rooms, and delivery of pushes. The protocol is specified in
// docs/client-protocol.md.
//
// Everything that must reach connections (pushes, kicks, bans, room
// destruction) goes through the bus, so the same code works when the
// connection lives on another node. Presence (who is in which room) is kept
// in a presence.Tracker that this gateway owns for writing; the REST layer
// only reads it and sets marks.
package gateway

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"github.com/chatd/chatd/internal/bus"
	"github.com/chatd/chatd/internal/presence"
)

// Path is where clients open their WebSocket.
const Path = "/v4/ws"

// Defaults for Config fields left zero.
const (
	// DefaultHeartbeatInterval is how often clients are told to send a
	// heartbeat.
	DefaultHeartbeatInterval = 30 * time.Second
	// DefaultIdleTimeoutBeats is the idle timeout in heartbeat intervals:
	// missing three heartbeats in a row means the peer is gone, while one
	// delayed heartbeat on a bad mobile link does not cut it off.
	DefaultIdleTimeoutBeats = 3
	// DefaultLoginTimeout bounds how long an unauthenticated socket may
	// stay open, so idle sockets cannot exhaust the connection budget.
	DefaultLoginTimeout = 10 * time.Second
	// DefaultWriteTimeout bounds flushing a connection's final frame and
	// the close handshake.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultMaxFrameBytes caps one client frame. Client requests are small
	// (a login with a UserSig is under 1 KiB); 64 KiB leaves room for
	// sending messages over the socket later (message bodies are ≤ 12 KB).
	DefaultMaxFrameBytes = 64 << 10
	// DefaultSendQueue is the per-connection queue of frames waiting to be
	// written. A consumer that falls this far behind is disconnected.
	DefaultSendQueue = 256
	// DefaultMaxConnsPerUser matches the vendor's multi-device cap of 10
	// concurrent web clients per account; the oldest connection is closed
	// when a new login exceeds it, as the vendor's SDKs are kicked.
	DefaultMaxConnsPerUser = 10
	// DefaultMaxRoomsPerConn caps the live rooms one connection may be in,
	// bounding the fan-out work and memory a single client can cause.
	DefaultMaxRoomsPerConn = 50
)

// Config tunes the gateway. Zero fields take the defaults above.
type Config struct {
	HeartbeatInterval time.Duration
	// IdleTimeout: a logged-in connection that sends no frame for this long
	// is closed. Default DefaultIdleTimeoutBeats × HeartbeatInterval.
	IdleTimeout     time.Duration
	LoginTimeout    time.Duration
	WriteTimeout    time.Duration
	MaxFrameBytes   int64
	SendQueue       int
	MaxConnsPerUser int
	MaxRoomsPerConn int
}

func (c Config) withDefaults() Config {
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeoutBeats * c.HeartbeatInterval
	}
	if c.LoginTimeout <= 0 {
		c.LoginTimeout = DefaultLoginTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if c.SendQueue <= 0 {
		c.SendQueue = DefaultSendQueue
	}
	if c.MaxConnsPerUser <= 0 {
		c.MaxConnsPerUser = DefaultMaxConnsPerUser
	}
	if c.MaxRoomsPerConn <= 0 {
		c.MaxRoomsPerConn = DefaultMaxRoomsPerConn
	}
	return c
}

// Deps are what the server wires in.
type Deps struct {
	// Authenticate verifies a user's UserSig for the app with the same
	// rules and codes as REST (60006 unknown app, 70001/70003/70009/70013/
	// 70014 ...) and makes sure the account exists (auto-import on first
	// login). Failures are *im.Error. durable, when not nil, waits until
	// what the login wrote (a new account) is committed: the gateway
	// answers the login first and calls it before reading the
	// connection's next frame, keeping ctx live until then; if it fails,
	// the connection is closed with 1011.
	Authenticate func(ctx context.Context, sdkAppID uint64, userID, userSig string) (durable func() error, err error)
	// CheckJoin decides whether userID may enter groupID from a client: nil
	// for an AVChatRoom the user is not banned from; *im.Error 10010
	// unknown group, 10015 invalid ID, 10007 for types whose client join is
	// not supported or when banned.
	CheckJoin func(ctx context.Context, appID uint64, groupID, userID string) error
	// Banned tells whether userID is banned from groupID now. join_group
	// asks it once more after entering when a ban may have raced the
	// entry (session.go); nil never asks.
	Banned   func(ctx context.Context, appID uint64, groupID, userID string) (bool, error)
	Presence *presence.Tracker
	Bus      bus.Bus
	// GroupPresence learns which users are online in which stored groups
	// (the online count of communities); nil tells nobody.
	GroupPresence GroupPresence
	// Hooks hear of logins, logouts and live-room changes; nil tells
	// nobody.
	Hooks Hooks
	// Ops are the requests served by the domains (sending, syncing, ...),
	// by op name.
	Ops    map[string]Op
	Now    func() time.Time // time.Now when nil
	Logger *slog.Logger     // discards when nil
}

// GroupPresence is told when a user's first connection on this node starts
// following a stored group and when their last one stops;
// *presence.Cluster implements it.
type GroupPresence interface {
	GroupMemberOnlineMany(appID uint64, userID string, groupIDs []string, online bool)
}

// Gateway serves the WebSocket endpoint and the connection operations the
// REST layer needs. Create it with New.
type Gateway struct {
	cfg      Config
	deps     Deps
	log      *slog.Logger
	nextConn atomic.Uint64
	ctx      context.Context // cancelled by Shutdown; bounds requests' store calls
	cancel   context.CancelFunc
	wg       sync.WaitGroup // one per registered connection, until it is cut
	poller   poller

	// mu guards the registry below and every conn's login/room state. It
	// is never held while publishing (Local delivers synchronously and the
	// handlers take mu) nor while writing to a socket.
	mu       sync.Mutex
	conns    map[uint64]*conn
	users    map[userKey]*userEntry
	rooms    map[roomKey]*roomEntry
	groups   map[roomKey]*groupEntry
	shutdown bool
	// drops counts the users dropped from a live room here (bans), for
	// join_group to see whether one came while it was checking.
	drops uint64

	// node starts every bus message this gateway publishes, so that it can
	// tell its own messages from other nodes' (deliver.go).
	node [nodeIDLen]byte

	// published keeps this node's recent live-room messages for other
	// nodes' replay requests (replay.go).
	replayMu    sync.Mutex
	published   map[roomKey]*replayRing
	replaySwept time.Time
}

// New returns a gateway. deps.Authenticate, CheckJoin, Presence and Bus are
// required.
func New(cfg Config, deps Deps) *Gateway {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Hooks == nil {
		deps.Hooks = noHooks{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &Gateway{
		cfg:       cfg.withDefaults(),
		deps:      deps,
		log:       deps.Logger.With("component", "gateway"),
		ctx:       ctx,
		cancel:    cancel,
		conns:     make(map[uint64]*conn),
		users:     make(map[userKey]*userEntry),
		rooms:     make(map[roomKey]*roomEntry),
		groups:    make(map[roomKey]*groupEntry),
		node:      newNodeID(),
		published: make(map[roomKey]*replayRing),
	}
	if deps.Bus != nil {
		g.subscribeNode()
		if h, ok := deps.Bus.(bus.Health); ok {
			h.OnReconnect(g.reconnected)
		}
	}
	return g
}

// ServeHTTP upgrades the request to a WebSocket and hands the socket to the
// poller; the handler's goroutine then ends, as do net/http's buffers for
// it. Any Origin is accepted: authentication is the UserSig inside the
// first frame, never a cookie, so a foreign page gains nothing by opening a
// socket (no cross-site WebSocket hijacking).
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.shuttingDown() {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	// The one extension is permessage-deflate without context takeover
	// (deflate.go): a push is compressed once for every socket, and no
	// socket keeps compression state.
	var deflate deflateNegotiation
	nc, rw, _, err := ws.HTTPUpgrader{Negotiate: deflate.negotiate}.Upgrade(r, w)
	if err != nil {
		g.log.Debug("websocket upgrade failed", "err", err, "remote", r.RemoteAddr)
		if nc != nil { // the refusal is written; the socket is ours to close
			_ = nc.Close()
		}
		return
	}
	var early []byte
	if n := rw.Reader.Buffered(); n > 0 { // the client did not wait for our 101
		early, _ = rw.Reader.Peek(n)
	}
	g.admit(nc, r.RemoteAddr, early, deflate.accepted)
}

func (g *Gateway) shuttingDown() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.shutdown
}

// admit takes an upgraded socket into the gateway: early is what the
// client sent after its upgrade request, read already; deflate says
// whether permessage-deflate was agreed.
func (g *Gateway) admit(nc net.Conn, remote string, early []byte, deflate bool) {
	nc, unread := unwrapped(nc)
	c, err := g.newConn(nc, remote, deflate)
	if err != nil {
		g.log.Error("websocket: unusable connection", "err", err)
		_ = nc.Close()
		return
	}
	// net/http buffered early from the start of what the listener had
	// read; anything it left unread comes after.
	if pending := append(early[:len(early):len(early)], unread...); len(pending) > 0 {
		c.pending = bytes.Clone(pending) // not a view that would keep a read buffer
	}
	c.timer = time.AfterFunc(g.cfg.LoginTimeout, c.onTimeout)
	if !g.register(c) {
		c.timer.Stop()
		frame := encodeFrame(ws.OpClose, ws.NewCloseFrameBody(closeShutdown, "server shutting down"))
		_, _ = nc.Write(frame)
		_ = nc.Close()
		return
	}
	if err := g.poller.add(c); err != nil {
		g.log.Error("websocket: watch connection", "err", err)
		c.cut()
	}
}

// Stats is a snapshot of this node's connections.
type Stats struct {
	Connections int // open sockets, logged in or not
	Users       int // distinct logged-in users
	Rooms       int // live rooms with at least one connection here
}

// Stats returns this node's current counts.
func (g *Gateway) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return Stats{Connections: len(g.conns), Users: len(g.users), Rooms: len(g.rooms)}
}

// Shutdown closes every connection with 1001 (going away) and refuses new
// ones, then waits until the connections are gone or ctx ends, in which
// case the remaining sockets are cut. http.Server.Shutdown does not track
// hijacked connections, so the server must call this too.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	g.shutdown = true
	open := g.openConnsLocked()
	g.mu.Unlock()
	for _, c := range open {
		c.closeWith(closeShutdown, "server shutting down", nil)
	}
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		g.mu.Lock()
		open = g.openConnsLocked()
		g.mu.Unlock()
		for _, c := range open {
			c.cut()
		}
		<-done
		err = errors.Join(errors.New("gateway: shutdown: connections cut"), ctx.Err())
	}
	g.cancel()
	g.poller.close()
	return err
}

func (g *Gateway) openConnsLocked() []*conn {
	open := make([]*conn, 0, len(g.conns))
	for _, c := range g.conns {
		open = append(open, c)
	}
	return open
}
