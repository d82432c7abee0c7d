package main

import (
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/ops"
	"github.com/chatd/chatd/internal/store"
)

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
