// Package ops implements operations management (rest-users.md,
// Operations management): the app's daily statistics counted from what
// the store keeps, hourly archives of the messages served by chatd
// itself, and the addresses of the nodes.
package ops

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// Node addresses (GetIPList).
const (
	// seeEvery is how often a node records its addresses.
	seeEvery = time.Minute
	// addrTTL is how long a node's addresses are listed after it last
	// recorded them: three missed refreshes.
	addrTTL = 3 * seeEvery
)

// Deps are what the service works over. Now defaults to time.Now, Logger
// to a discarding one.
type Deps struct {
	Store im.OpsStore
	Apps  []config.App
	// Addrs are the addresses this node serves on, recorded for GetIPList.
	Addrs []string
	// BaseURL is where archives are downloaded from: scheme, host and
	// port, without a trailing slash.
	BaseURL string
	// ArchivePartBytes caps one archive file before compression; 0 means
	// DefaultArchivePartBytes.
	ArchivePartBytes int
	Now              func() time.Time
	Logger           *slog.Logger
}

// Service is the operations domain.
type Service struct {
	store    im.OpsStore
	apps     map[uint64]*config.App
	addrs    []string
	baseURL  string
	partSize int
	now      func() time.Time
	log      *slog.Logger

	statsMu sync.Mutex
	days    map[uint64]map[int64]im.DayStats // finished days, by app and day
}

// NewService returns the operations service; Run records the node's
// addresses.
func NewService(d Deps) *Service {
	s := &Service{store: d.Store, apps: map[uint64]*config.App{}, addrs: d.Addrs, baseURL: d.BaseURL,
		partSize: d.ArchivePartBytes, now: d.Now, log: d.Logger, days: map[uint64]map[int64]im.DayStats{}}
	if s.partSize <= 0 {
		s.partSize = DefaultArchivePartBytes
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for i := range d.Apps {
		s.apps[d.Apps[i].SDKAppID] = &d.Apps[i]
	}
	return s
}

// Run records the node's addresses now and every minute until ctx ends,
// so GetIPList lists every live node.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(seeEvery)
	defer t.Stop()
	for {
		if err := s.SeeAddrs(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("ops: node addresses not recorded", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SeeAddrs records this node's addresses once.
func (s *Service) SeeAddrs(ctx context.Context) error {
	if err := s.store.SeeNodeAddrs(ctx, s.addrs, s.now().Unix()); err != nil {
		return fmt.Errorf("ops: record addresses: %w", err)
	}
	return nil
}

// IPList returns the addresses of the nodes that recorded theirs lately.
// Every category of GetIPList's nettype is served by the same nodes, so
// it is the same list for all.
func (s *Service) IPList(ctx context.Context) ([]string, error) {
	addrs, err := s.store.NodeAddrs(ctx, s.now().Add(-addrTTL).Unix())
	if err != nil {
		return nil, fmt.Errorf("ops: node addresses: %w", err)
	}
	return addrs, nil
}

// ListenAddrs are the IPv4 addresses a node listening on addr serves on:
// its host when it is a specific IP, every non-loopback address of the
// machine when it listens on all (or loopback when it has none).
func ListenAddrs(addr net.Addr) []string {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP != nil && !tcp.IP.IsUnspecified() {
		return []string{tcp.IP.String()}
	}
	var out []string
	ifaces, _ := net.InterfaceAddrs()
	for _, a := range ifaces {
		if ipnet, ok := a.(*net.IPNet); ok && !ipnet.IP.IsLoopback() && ipnet.IP.To4() != nil {
			out = append(out, ipnet.IP.String())
		}
	}
	if len(out) == 0 {
		out = []string{"127.0.0.1"}
	}
	return out
}
