package main

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/ops"
	"github.com/chatd/chatd/internal/store"
)

// pushLocal is the push service's view of this node's connections, built
// on what the gateway offers today: its online users, and DeliverUser,
// which also publishes each delivery on the user's bus subject. So a user
// connected to two nodes receives a push once from each (clients drop the
// repeat by its PushSeq), and a push costs a bus message per user online.
// A gateway method that writes to this node's connections only
// (DeliverLocal, see the ops branch's report) replaces it.
type pushLocal struct{ gateway *gateway.Gateway }

func (p pushLocal) LocalUsers(appID uint64) []string {
	var out []string
	for _, u := range p.gateway.OnlineUsers() {
		if u.AppID == appID {
			out = append(out, u.UserID)
		}
	}
	return out
}

func (p pushLocal) DeliverLocal(appID uint64, userIDs []string, push im.Push) {
	for _, u := range userIDs {
		// Best effort, as every push: a client that missed it syncs.
		_ = p.gateway.DeliverUser(context.Background(), appID, u, push)
	}
}

// newOps is the operations service of a node listening on addr: it
// reports the configured addresses (or those it listens on) and hands out
// download URLs under the configured public URL (or its own address).
func newOps(cfg config.Config, db *store.DB, addr net.Addr, now func() time.Time, logger *slog.Logger) *ops.Service {
	addrs := cfg.IPList
	if len(addrs) == 0 {
		addrs = ops.ListenAddrs(addr)
	}
	base := strings.TrimSuffix(cfg.PublicURL, "/")
	if base == "" {
		host := ops.ListenAddrs(addr)[0]
		if tcp, ok := addr.(*net.TCPAddr); ok {
			host = net.JoinHostPort(host, strconv.Itoa(tcp.Port))
		}
		base = "http://" + host
	}
	return ops.NewService(ops.Deps{Store: db, Apps: cfg.Apps, Addrs: addrs, BaseURL: base, Now: now, Logger: logger})
}
