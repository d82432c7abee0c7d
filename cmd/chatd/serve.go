package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chatd/chatd/internal/account"
	"github.com/chatd/chatd/internal/api"
	"github.com/chatd/chatd/internal/bot"
	"github.com/chatd/chatd/internal/bus"
	"github.com/chatd/chatd/internal/bus/natsbus"
	"github.com/chatd/chatd/internal/clientapi"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/conversation"
	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/message"
	"github.com/chatd/chatd/internal/presence"
	"github.com/chatd/chatd/internal/profile"
	"github.com/chatd/chatd/internal/push"
	"github.com/chatd/chatd/internal/relation"
	"github.com/chatd/chatd/internal/store"
	"github.com/chatd/chatd/internal/store/postgres"
	"github.com/chatd/chatd/internal/store/sqlite"
	"github.com/chatd/chatd/internal/stream"
	"github.com/chatd/chatd/internal/usersig"
	"github.com/chatd/chatd/internal/webhook"
)

// sqliteFileName is the database file inside the data dir.
const sqliteFileName = "chatd.db"

// storeCheckEvery is how long /readyz reuses a ping of the store: a load
// balancer polling every node every second costs the database one ping
// per node per second at most.
const storeCheckEvery = time.Second

// runServe loads the configuration, wires the parts and serves until ctx
// ends (SIGTERM/SIGINT), then drains in-flight requests and returns nil.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	loaded, err := config.Load(args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	cfg := loaded.Config
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()

	now := time.Now
	verifier := usersig.NewVerifier(config.DefaultSigCache, now)
	accounts := account.NewService(db)
	// The bus never delays start-up: without NATS a node serves its own
	// clients, and joins the cluster when NATS is reachable.
	events, err := openBus(cfg, logger)
	if err != nil {
		return err
	}
	// Deferred before the cluster's stop, so it runs after it: the
	// node's leaving message is among what Close sends.
	defer events.Close()
	// Kicks and deletions made on other nodes reach this node's accounts.
	unfollow, err := accounts.Follow(events)
	if err != nil {
		return err
	}
	defer unfollow()
	// The app callbacks: every domain reports through them; an app
	// without a callback URL costs a map lookup per event.
	hooks, err := webhook.New(cfg.Apps, webhook.Options{Logger: logger, Now: now, Outbox: db, Unread: db.CountC2CUnreadTotal})
	if err != nil {
		return err
	}
	defer func() {
		// On an early return nothing waits; after a drain this is a no-op.
		stopped, cancel := context.WithCancel(context.Background())
		cancel()
		hooks.Close(stopped)
	}()
	tracker := presence.NewTracker(now)
	// Members held online by mark 500 leave when its three days run out.
	go tracker.RunSweeper(ctx, time.Minute)
	// The group service, the presence cluster and the gateway need each
	// other (bans drop users from rooms, joins are checked against groups,
	// snapshots list the gateway's users), so the rooms adapter is filled
	// in once all exist, before anything runs.
	rooms := &liveRooms{}
	cluster, err := presence.NewCluster(tracker, events, presence.ClusterOptions{
		Interval: time.Duration(cfg.PresenceInterval), Now: now, Logger: logger,
		LocalUsers: func() []presence.UserRef { return rooms.gateway.OnlineUsers() },
	})
	if err != nil {
		return fmt.Errorf("presence: %w", err)
	}
	rooms.cluster = cluster
	groups := group.NewService(db, db, rooms)
	groups.SetHooks(hooks.Groups())
	// The client ops need the message services, which deliver through the
	// gateway: the table is filled in below, before anything is served.
	clientOps := map[string]gateway.Op{}
	rooms.gateway = gateway.New(gateway.Config{}, gateway.Deps{
		Authenticate: userAuthenticator(cfg, verifier, accounts, now),
		CheckJoin: func(ctx context.Context, appID uint64, groupID, userID string) error {
			return groups.CheckJoin(ctx, appID, groupID, userID, now())
		},
		Banned: func(ctx context.Context, appID uint64, groupID, userID string) (bool, error) {
			until, err := groups.BannedUntil(ctx, appID, groupID, userID, now())
			return until > 0, err
		},
		Presence:      tracker,
		Bus:           events,
		GroupPresence: cluster,
		Hooks:         hooks.Connections(),
		Ops:           clientOps,
		Now:           now,
		Logger:        logger,
	})
	accounts.SetSessions(sessions{gateway: rooms.gateway, cluster: cluster})
	if cfg.Bus != "" {
		// Alone, the cluster view already holds every connection of this
		// node and there is nobody to tell.
		defer cluster.Start()()
	}
	for i := range cfg.Apps {
		app := &cfg.Apps[i]
		for _, admin := range app.Admins {
			// An admin is also an ordinary account (overview.md §2).
			if err := accounts.EnsureImported(ctx, app, admin, now()); err != nil {
				return fmt.Errorf("import admin %s: %w", admin, err)
			}
		}
	}

	streams := stream.New(ctx, stream.Deps{Store: db, Deliver: rooms.gateway, Groups: groups.Get, Callbacks: hooks, Now: now, Logger: logger})
	profiles, err := profile.NewService(profile.Deps{Store: db, Friends: db, Streams: streams, Hooks: hooks.Profiles(), Apps: cfg.Apps, Now: now, Logger: logger})
	if err != nil {
		return err
	}
	relations, err := relation.NewService(relation.Deps{Store: db, Profiles: profiles, Streams: streams, Hooks: hooks.Relations(), Apps: cfg.Apps, Now: now})
	if err != nil {
		return err
	}
	messages := message.NewService(message.Deps{Store: db, Streams: streams, Groups: groups, Logger: logger,
		Limiter: message.NewGroupLimiter(cluster.Nodes), Broadcast: rooms.gateway,
		Senders: senders{profiles: profiles, relations: relations}, Hooks: hooks.Messages(), Accounts: accounts})
	pushes := push.NewService(push.Deps{Store: db, Bus: events, Local: rooms.gateway, Apps: cfg.Apps, Now: now, Logger: logger})
	if err := pushes.Start(ctx); err != nil {
		return fmt.Errorf("push: %w", err)
	}
	convs := conversation.NewService(conversation.Deps{Store: db, Events: streams, Groups: groups.Get, Messages: messages, Now: now})
	ops, err := clientapi.Ops(clientapi.Services{Messages: messages, Streams: streams, Groups: groups, Apps: cfg.Apps,
		Profiles: profiles, Relations: relations, Push: pushes, Conversations: convs})
	if err != nil {
		return err
	}
	maps.Copy(clientOps, ops)
	groups.SetDelivery(group.Delivery{Notifier: streams, Online: cluster, Logger: logger})

	// The listener comes first: the operations service reports its
	// addresses and hands out download URLs on it.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	operations := newOps(cfg, db, ln.Addr(), now, logger)
	go operations.Run(ctx)
	commands := api.Commands(api.Services{Accounts: accounts, Groups: groups, Messages: messages, Store: db, Profiles: profiles, Relations: relations,
		Ops: operations, Bots: bot.NewService(db, accounts, profiles), Push: pushes, Conversations: convs})
	rest, err := api.NewServer(api.Options{Config: cfg, Verifier: verifier, Revocations: accounts, Archives: operations, Now: now, Logger: logger}, commands)
	if err != nil {
		return err
	}
	// Each node allows its share of every rate limit, so the cluster as a
	// whole allows the documented rate.
	rest.ShareLimits(cluster.Nodes)
	var ready atomic.Bool
	handler := api.Handler(rest, rooms.gateway, ready.Load, readiness(cfg, db, events)...)
	handler = withCallbacks(handler, hooks, cfg, verifier, rest.Limit, cluster.Nodes)
	srv := api.NewHTTPServer(handler, api.DefaultTimeouts())
	printWelcome(stdout, cfg, loaded.AppCreated, ln.Addr().String())
	logger.Info("chatd serving", "addr", ln.Addr().String(), "store", storeName(cfg), "apps", len(cfg.Apps))

	served := make(chan error, 1)
	// The gateway upgrades its WebSockets from the listener itself and
	// hands net/http everything else.
	go func() { served <- srv.Serve(rooms.gateway.Listen(ln, gateway.Path)) }()
	ready.Store(true)

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	ready.Store(false)
	logger.Info("chatd draining")
	drainCtx, cancel := context.WithTimeout(context.Background(), config.DefaultDrainPeriod)
	defer cancel()
	// Hijacked WebSocket connections are not drained by srv.Shutdown, so
	// the gateway closes them itself, telling clients why.
	if err := rooms.gateway.Shutdown(drainCtx); err != nil {
		logger.Warn("gateway shutdown", "err", err)
	}
	// What did not finish within the drain period (a stalled upload) is
	// cut: stopping on SIGTERM succeeds either way.
	if err := api.Shutdown(drainCtx, srv); err != nil {
		logger.Warn("drain", "err", err)
	}
	// After callbacks of the actions just finished are sent while the
	// drain period lasts; what is left then stays in the outbox, for the
	// next start.
	hooks.Close(drainCtx)
	logger.Info("chatd stopped")
	return nil
}

// openStore opens the configured engine: the embedded SQLite file by
// default, PostgreSQL for a postgres:// URL.
func openStore(ctx context.Context, cfg config.Config) (*store.DB, error) {
	switch {
	case cfg.Store == "":
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		return sqlite.Open(filepath.Join(cfg.DataDir, sqliteFileName))
	case strings.HasPrefix(cfg.Store, "postgres://"), strings.HasPrefix(cfg.Store, "postgresql://"):
		return postgres.Open(ctx, cfg.Store, postgres.Options{MaxOpenConns: cfg.StoreMaxConns, MaxIdleConns: cfg.StoreMaxIdle})
	default:
		return nil, fmt.Errorf("store %q: want empty (SQLite) or a postgres:// URL", cfg.Store)
	}
}

// openBus opens the configured bus: in-process by default, NATS for a
// nats:// URL. It does not wait for NATS (see natsbus.Open).
func openBus(cfg config.Config, logger *slog.Logger) (bus.Bus, error) {
	if cfg.Bus == "" {
		return bus.NewLocal(), nil
	}
	if !strings.HasPrefix(cfg.Bus, "nats://") {
		return nil, fmt.Errorf("bus %q: want empty (in-process) or a nats:// URL", cfg.Bus)
	}
	host, _ := os.Hostname()
	// NoEcho: every publisher here has delivered to this node's own
	// connections and state before publishing, and every subscriber drops
	// what its own node sent, so NATS need not send it back.
	b, err := natsbus.Open(cfg.Bus, natsbus.Options{Name: "chatd@" + host, Prefix: cfg.BusPrefix, Logger: logger, NoEcho: true})
	if err != nil {
		return nil, fmt.Errorf("bus: %w", err)
	}
	return b, nil
}

// readiness is what /readyz checks: PostgreSQL answers a ping and, in a
// cluster, the bus is connected. The embedded SQLite file and the
// in-process bus have no network to lose, and a ping of SQLite would only
// queue behind the one writer connection and report load as an outage.
func readiness(cfg config.Config, db *store.DB, events bus.Bus) []api.Check {
	var checks []api.Check
	if cfg.Store != "" {
		checks = append(checks, api.Check{Name: "store", Probe: db.Ping, Every: storeCheckEvery})
	}
	if h, ok := events.(bus.Health); ok && cfg.Bus != "" {
		checks = append(checks, api.Check{Name: "bus", Probe: func(context.Context) error {
			if !h.Connected() {
				return errBusDown
			}
			return nil
		}})
	}
	return checks
}

var errBusDown = errors.New("bus: not connected")

func storeName(cfg config.Config) string {
	if cfg.Store == "" {
		return "sqlite:" + filepath.Join(cfg.DataDir, sqliteFileName)
	}
	return "postgres"
}
