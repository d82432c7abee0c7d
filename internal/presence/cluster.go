package presence

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatd/chatd/internal/bus"
)

// Cluster timing defaults. A remote node's counts are at most one
// interval old, and a node that stops publishing (it died) stops counting
// after ExpiryIntervals intervals: 6 s by default, inside the vendor's
// 10 s refresh of get_online_member_num.
const (
	DefaultInterval = 2 * time.Second
	ExpiryIntervals = 3
	// maxSnapshotBytes keeps one bus message well under NATS's default
	// 1 MiB payload limit; a bigger snapshot is sent in parts.
	maxSnapshotBytes = 512 << 10
)

// Cluster is the cluster-wide view of live rooms: this node's Tracker,
// exact, plus the latest snapshot every other node published. Each node
// owns the counts of its own connections; none is ever asked at query time,
// so every query stays O(nodes) whatever the room size.
type Cluster struct {
	local      *Tracker
	localUsers func() []UserRef
	bus        bus.Bus
	health     bus.Health // nil when the bus does not report its connection
	node       string
	interval   time.Duration
	now        func() time.Time
	log        *slog.Logger

	started atomic.Bool   // Start was called: reconnects start a sync
	answer  chan struct{} // capacity 1: another node asked for our snapshot
	resync  chan struct{} // capacity 1: the bus reconnected

	mu      sync.RWMutex
	remotes map[string]*remoteNode
	gen     int64      // generation of this node's snapshots
	sync    *syncRound // non-nil while queries wait for other nodes' snapshots
}

// syncRound is one request for every other node's snapshot. Queries wait
// until done is closed: when every node any answer named has answered, or
// one interval after the request, whichever comes first. No node knows
// how many others there are, so the answers themselves say whom to wait
// for: each snapshot lists the nodes its sender counts.
type syncRound struct {
	done     chan struct{}
	want     map[string]bool // nodes named by the answers so far
	answered map[string]bool // nodes whose complete snapshot arrived
}

// UserRef is a user connected to a node, with the platforms of their
// connections there.
type UserRef struct {
	AppID     uint64   `json:"a"`
	UserID    string   `json:"u"`
	Platforms []string `json:"p"`
}

type userKey struct {
	appID  uint64
	userID string
}

// remoteNode is what one other node last published.
type remoteNode struct {
	seen  time.Time
	rooms map[roomKey]RoomSnapshot
	users map[userKey][]string
	peers []string // the nodes it counted when it published
	// pending collects the parts of a snapshot generation until all arrived.
	pendingGen   int64
	pendingParts int
	pending      map[roomKey]RoomSnapshot
	pendingUsers map[userKey][]string
	pendingPeers []string
}

// ClusterOptions tune a Cluster; zero values take the defaults.
type ClusterOptions struct {
	Node     string // unique per process; random when empty
	Interval time.Duration
	Now      func() time.Time
	Logger   *slog.Logger
	// LocalUsers lists the users connected to this node; their online
	// status is published with the rooms. Nil publishes no users.
	LocalUsers func() []UserRef
}

// snapshotMsg is one part of a node's snapshot on bus.PresenceSubject.
type snapshotMsg struct {
	Node    string         `json:"node"`
	Gen     int64          `json:"gen"`
	Part    int            `json:"part"`
	Parts   int            `json:"parts"`
	Leaving bool           `json:"leaving,omitempty"`
	Rooms   []RoomSnapshot `json:"rooms,omitempty"`
	Users   []UserRef      `json:"users,omitempty"`
	// Peers, in the first part, are the other nodes the sender counts, so
	// a node that asked for everyone's snapshot knows whom to wait for.
	Peers []string `json:"peers,omitempty"`
}

// syncMsg on bus.PresenceSyncSubject asks every other node to publish its
// snapshot now.
type syncMsg struct {
	Node string `json:"node"`
}

// marksMsg asks the node holding a member to change its marks.
type marksMsg struct {
	Node    string `json:"node"`
	AppID   uint64 `json:"app"`
	GroupID string `json:"group"`
	UserID  string `json:"user"`
	Marks   []int  `json:"marks"`
	Add     bool   `json:"add"`
}

// NewCluster subscribes to the other nodes' snapshots, their requests for
// this node's, and mark changes. Call Start to take part in the cluster.
func NewCluster(local *Tracker, b bus.Bus, opts ClusterOptions) (*Cluster, error) {
	if opts.Node == "" {
		var id [8]byte
		_, _ = rand.Read(id[:])
		opts.Node = hex.EncodeToString(id[:])
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Cluster{local: local, localUsers: opts.LocalUsers, bus: b, node: opts.Node, interval: opts.Interval, now: opts.Now,
		log: opts.Logger.With("component", "presence"), remotes: map[string]*remoteNode{},
		answer: make(chan struct{}, 1), resync: make(chan struct{}, 1)}
	if _, err := b.Subscribe(bus.PresenceSubject(), c.onSnapshot); err != nil {
		return nil, err
	}
	if _, err := b.Subscribe(bus.PresenceSyncSubject(), c.onSyncRequest); err != nil {
		return nil, err
	}
	if _, err := b.Subscribe(bus.MarksSubject(), c.onMarks); err != nil {
		return nil, err
	}
	if h, ok := b.(bus.Health); ok {
		c.health = h
		h.OnReconnect(c.onReconnect)
	}
	return c, nil
}

// Node is this node's ID in the cluster.
func (c *Cluster) Node() string { return c.node }

// Expiry is how long a silent node keeps counting.
func (c *Cluster) Expiry() time.Duration { return ExpiryIntervals * c.interval }

// Start takes part in the cluster until stop is called: it asks the other
// nodes for their snapshots, publishes this node's at once and then every
// interval, and answers the other nodes' requests. The first snapshot and
// the request are sent before Start returns. Until the other nodes'
// snapshots are in, or for one interval at most, queries wait for them
// rather than answer with this node's users alone; the same happens each
// time the bus reconnects, as other nodes' snapshots may have expired
// meanwhile. While the bus is disconnected queries do not wait: there is
// nothing to wait for. stop tells the other nodes this node is leaving, so
// they stop counting it at once, and returns when that is sent.
func (c *Cluster) Start() (stop func()) {
	c.started.Store(true)
	c.beginSync()
	ctx, cancel := context.WithCancel(context.Background())
	c.Publish(ctx)
	c.requestSnapshots(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

func (c *Cluster) run(ctx context.Context) {
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			c.publishLeaving()
			return
		case <-t.C:
			c.Publish(ctx)
		case <-c.answer:
			c.Publish(ctx)
		case <-c.resync:
			// The others may have expired this node during the outage.
			c.Publish(ctx)
			c.requestSnapshots(ctx)
		}
	}
}

// connected reports whether the bus reaches other nodes now.
func (c *Cluster) connected() bool { return c.health == nil || c.health.Connected() }

// beginSync makes queries wait for the other nodes' snapshots, unless the
// bus is down. A round already running keeps its deadline.
func (c *Cluster) beginSync() {
	if !c.connected() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sync == nil {
		r := &syncRound{done: make(chan struct{})}
		c.sync = r
		time.AfterFunc(c.interval, func() {
			c.mu.Lock()
			c.endSync(r)
			c.mu.Unlock()
		})
	}
	// Only answers to this request count: the nodes may have changed.
	c.sync.want, c.sync.answered = map[string]bool{}, map[string]bool{}
}

// endSync releases the queries waiting on r. c.mu must be held.
func (c *Cluster) endSync(r *syncRound) {
	if c.sync == r {
		close(r.done)
		c.sync = nil
	}
}

// settleSync ends the running round once at least one node answered and
// every node named so far has. c.mu must be held.
func (c *Cluster) settleSync() {
	r := c.sync
	if r == nil || len(r.answered) == 0 {
		return
	}
	for n := range r.want {
		if !r.answered[n] {
			return
		}
	}
	c.endSync(r)
}

// waitSync blocks while a sync round runs.
func (c *Cluster) waitSync() {
	c.mu.RLock()
	r := c.sync
	c.mu.RUnlock()
	if r != nil {
		<-r.done
	}
}

func (c *Cluster) requestSnapshots(ctx context.Context) {
	if !c.connected() {
		return // the reconnect will ask
	}
	data, _ := json.Marshal(syncMsg{Node: c.node})
	if err := c.bus.Publish(ctx, bus.PresenceSyncSubject(), data); err != nil {
		c.log.Warn("request presence snapshots", "err", err)
	}
}

// onReconnect runs on the bus's goroutine; the publishing is left to run.
func (c *Cluster) onReconnect() {
	if !c.started.Load() {
		return
	}
	c.beginSync()
	signal(c.resync)
}

func (c *Cluster) onSyncRequest(data []byte) {
	var m syncMsg
	if err := json.Unmarshal(data, &m); err != nil || m.Node == "" || m.Node == c.node {
		return
	}
	// Requests arriving together (every node reconnecting at once) are
	// answered by one publish.
	signal(c.answer)
}

// signal wakes run without blocking the bus handler that calls it.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Publish sends this node's snapshot now. Rooms are split over several
// messages when the snapshot is large.
func (c *Cluster) Publish(ctx context.Context) {
	c.mu.Lock()
	c.gen++
	gen := c.gen
	c.mu.Unlock()
	rooms := c.local.Snapshot()
	var users []UserRef
	if c.localUsers != nil {
		users = c.localUsers()
	}
	var parts []snapshotMsg
	cur, size := snapshotMsg{}, 0
	flush := func(est int) {
		if size+est > maxSnapshotBytes && size > 0 {
			parts, cur, size = append(parts, cur), snapshotMsg{}, 0
		}
		size += est
	}
	for _, r := range rooms {
		flush(64 + len(r.GroupID) + 100*len(r.Members))
		cur.Rooms = append(cur.Rooms, r)
	}
	for _, u := range users {
		flush(48 + len(u.UserID) + 10*len(u.Platforms))
		cur.Users = append(cur.Users, u)
	}
	parts = append(parts, cur) // an empty node still publishes one (empty) part
	parts[0].Peers = c.livePeers()
	for i, p := range parts {
		p.Node, p.Gen, p.Part, p.Parts = c.node, gen, i, len(parts)
		data, _ := json.Marshal(p)
		if err := c.bus.Publish(ctx, bus.PresenceSubject(), data); err != nil {
			c.log.Warn("publish presence snapshot", "err", err)
			return
		}
	}
}

func (c *Cluster) publishLeaving() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	data, _ := json.Marshal(snapshotMsg{Node: c.node, Leaving: true})
	_ = c.bus.Publish(ctx, bus.PresenceSubject(), data)
}

func (c *Cluster) onSnapshot(data []byte) {
	var m snapshotMsg
	if err := json.Unmarshal(data, &m); err != nil || m.Node == "" || m.Node == c.node {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.Leaving {
		delete(c.remotes, m.Node)
		if r := c.sync; r != nil {
			delete(r.want, m.Node)
			delete(r.answered, m.Node)
			c.settleSync()
		}
		return
	}
	n := c.remotes[m.Node]
	if n == nil {
		// Counted as alive from its first part, so the expiry cannot drop it
		// while the rest of a large snapshot is on its way.
		n = &remoteNode{seen: c.now(), rooms: map[roomKey]RoomSnapshot{}}
		c.remotes[m.Node] = n
	}
	if m.Gen != n.pendingGen || n.pending == nil {
		n.pendingGen, n.pendingParts = m.Gen, 0
		n.pending, n.pendingUsers, n.pendingPeers = map[roomKey]RoomSnapshot{}, map[userKey][]string{}, nil
	}
	n.pendingPeers = append(n.pendingPeers, m.Peers...)
	for _, r := range m.Rooms {
		n.pending[roomKey{r.AppID, r.GroupID}] = r
	}
	for _, u := range m.Users {
		n.pendingUsers[userKey{u.AppID, u.UserID}] = u.Platforms
	}
	n.pendingParts++
	if n.pendingParts == m.Parts {
		n.rooms, n.users, n.peers = n.pending, n.pendingUsers, n.pendingPeers
		n.pending, n.pendingUsers, n.pendingPeers = nil, nil, nil
		n.seen = c.now()
		if r := c.sync; r != nil {
			r.answered[m.Node], r.want[m.Node] = true, true
			for _, p := range n.peers {
				if p != c.node {
					r.want[p] = true
				}
			}
			c.settleSync()
		}
	}
}

func (c *Cluster) onMarks(data []byte) {
	var m marksMsg
	if err := json.Unmarshal(data, &m); err != nil || m.Node == c.node {
		return
	}
	c.local.SetMarksIfPresent(m.AppID, m.GroupID, m.UserID, m.Marks, m.Add)
}

// RemotePlatforms returns the platforms userID is connected from on other
// nodes, as of their latest snapshots.
func (c *Cluster) RemotePlatforms(appID uint64, userID string) []string {
	var out []string
	c.eachRemote(func(n *remoteNode) {
		for _, p := range n.users[userKey{appID, userID}] {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	})
	return out
}

// remoteRooms calls f with each live remote node's snapshot of the room.
func (c *Cluster) remoteRooms(k roomKey, f func(RoomSnapshot)) {
	c.eachRemote(func(n *remoteNode) {
		if r, ok := n.rooms[k]; ok {
			f(r)
		}
	})
}

// livePeers lists the remote nodes this node counts now.
func (c *Cluster) livePeers() []string {
	var out []string
	c.liveRemotes(func(id string, _ *remoteNode) { out = append(out, id) })
	return out
}

// eachRemote calls f with each remote node that published within the
// expiry, after waiting for a sync round in progress.
func (c *Cluster) eachRemote(f func(*remoteNode)) {
	c.waitSync()
	c.liveRemotes(func(_ string, n *remoteNode) { f(n) })
}

// liveRemotes calls f with each remote node that published within the
// expiry; nodes silent for longer are forgotten here.
func (c *Cluster) liveRemotes(f func(string, *remoteNode)) {
	deadline := c.now().Add(-c.Expiry())
	c.mu.RLock()
	var expired []string
	for id, n := range c.remotes {
		if n.seen.Before(deadline) {
			expired = append(expired, id)
			continue
		}
		f(id, n)
	}
	c.mu.RUnlock()
	if len(expired) > 0 {
		c.mu.Lock()
		for _, id := range expired {
			if n := c.remotes[id]; n != nil && n.seen.Before(deadline) {
				delete(c.remotes, id)
			}
		}
		c.mu.Unlock()
	}
}

// Count is the number of users online in the room across the cluster: exact
// for this node, at most one interval old for the others. A user with
// connections on two nodes counts on each of them. Like every query of the
// cluster view, it waits while the other nodes' snapshots are being asked
// for (see Start), one interval at most.
func (c *Cluster) Count(appID uint64, groupID string) int {
	n := c.local.Count(appID, groupID)
	c.remoteRooms(roomKey{appID, groupID}, func(r RoomSnapshot) { n += r.Count })
	return n
}

// Members pages through the room's online members across the cluster,
// newest first, with the semantics of Tracker.Members. The cursor is a
// join stamp, which orders members of every node.
func (c *Cluster) Members(appID uint64, groupID string, mark int, cursor int64, limit int) ([]OnlineMember, int64) {
	var remote [][]OnlineMember
	c.remoteRooms(roomKey{appID, groupID}, func(r RoomSnapshot) { remote = append(remote, r.Members) })
	if len(remote) == 0 {
		return c.local.Members(appID, groupID, mark, cursor, limit)
	}
	if limit <= 0 || limit > MaxListed {
		limit = MaxListed
	}
	_, all := c.local.Listable(appID, groupID)
	for _, r := range remote {
		all = append(all, r...)
	}
	slices.SortFunc(all, func(a, b OnlineMember) int { return compareDesc(a.Stamp, b.Stamp) })
	seen := make(map[string]bool, len(all))
	var listed []OnlineMember
	for _, m := range all {
		holds := slices.Contains(m.Marks, mark)
		if seen[m.UserID] || (mark == 0 && slices.Contains(m.Marks, MarkHidden)) || (mark != 0 && !holds) {
			continue
		}
		seen[m.UserID] = true
		listed = append(listed, m)
		if len(listed) == MaxListed {
			break
		}
	}
	var page []OnlineMember
	for i, m := range listed {
		if cursor > 0 && m.Stamp >= cursor {
			continue
		}
		if len(page) == limit {
			return page, listed[i-1].Stamp
		}
		page = append(page, m)
	}
	return page, 0
}

// SetMarks changes the marks of an online member wherever their
// connections are. It reports whether the member is online in the room on
// this node or in another node's latest snapshot.
func (c *Cluster) SetMarks(appID uint64, groupID, userID string, marks []int, add bool) bool {
	remote := false
	c.remoteRooms(roomKey{appID, groupID}, func(r RoomSnapshot) {
		if !remote {
			remote = slices.ContainsFunc(r.Members, func(m OnlineMember) bool { return m.UserID == userID })
		}
	})
	// A user online on another node gets the mark there; only a user online
	// nowhere may be held in the room here by MarkAlwaysOnline.
	var online bool
	if remote {
		online = c.local.SetMarksIfPresent(appID, groupID, userID, marks, add) || remote
	} else {
		online = c.local.SetMarks(appID, groupID, userID, marks, add)
	}
	data, _ := json.Marshal(marksMsg{Node: c.node, AppID: appID, GroupID: groupID, UserID: userID, Marks: marks, Add: add})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.bus.Publish(ctx, bus.MarksSubject(), data); err != nil {
		c.log.Warn("publish marks", "err", err)
	}
	return online
}

// MarkCounts returns how many members hold each mark across the cluster.
// Snapshots carry every mark holder, so remote counts are complete up to
// one interval of staleness.
func (c *Cluster) MarkCounts(appID uint64, groupID string) map[int]int {
	out := c.local.MarkCounts(appID, groupID)
	c.remoteRooms(roomKey{appID, groupID}, func(r RoomSnapshot) {
		for _, m := range r.Members {
			for _, mark := range m.Marks {
				out[mark]++
			}
		}
	})
	return out
}
