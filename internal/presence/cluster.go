package presence

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
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
	node       string
	interval   time.Duration
	now        func() time.Time
	log        *slog.Logger

	mu      sync.RWMutex
	remotes map[string]*remoteNode
	gen     int64 // generation of this node's snapshots
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
	// pending collects the parts of a snapshot generation until all arrived.
	pendingGen   int64
	pendingParts int
	pending      map[roomKey]RoomSnapshot
	pendingUsers map[userKey][]string
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

// NewCluster subscribes to the other nodes' snapshots and mark changes.
// Call Run to publish this node's snapshots.
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
		log: opts.Logger.With("component", "presence"), remotes: map[string]*remoteNode{}}
	if _, err := b.Subscribe(bus.PresenceSubject(), c.onSnapshot); err != nil {
		return nil, err
	}
	if _, err := b.Subscribe(bus.MarksSubject(), c.onMarks); err != nil {
		return nil, err
	}
	return c, nil
}

// Node is this node's ID in the cluster.
func (c *Cluster) Node() string { return c.node }

// Expiry is how long a silent node keeps counting.
func (c *Cluster) Expiry() time.Duration { return ExpiryIntervals * c.interval }

// Run publishes this node's snapshot every interval until ctx ends, then
// tells the others it is leaving so they stop counting it at once.
func (c *Cluster) Run(ctx context.Context) {
	t := time.NewTicker(c.interval)
	defer t.Stop()
	c.Publish(ctx)
	for {
		select {
		case <-ctx.Done():
			c.publishLeaving()
			return
		case <-t.C:
			c.Publish(ctx)
		}
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
		n.pending, n.pendingUsers = map[roomKey]RoomSnapshot{}, map[userKey][]string{}
	}
	for _, r := range m.Rooms {
		n.pending[roomKey{r.AppID, r.GroupID}] = r
	}
	for _, u := range m.Users {
		n.pendingUsers[userKey{u.AppID, u.UserID}] = u.Platforms
	}
	n.pendingParts++
	if n.pendingParts == m.Parts {
		n.rooms, n.users = n.pending, n.pendingUsers
		n.pending, n.pendingUsers = nil, nil
		n.seen = c.now()
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

// eachRemote calls f with each remote node that published within the
// expiry; nodes silent for longer are forgotten here.
func (c *Cluster) eachRemote(f func(*remoteNode)) {
	deadline := c.now().Add(-c.Expiry())
	c.mu.RLock()
	var expired []string
	for id, n := range c.remotes {
		if n.seen.Before(deadline) {
			expired = append(expired, id)
			continue
		}
		f(n)
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
// connections on two nodes counts on each of them.
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
