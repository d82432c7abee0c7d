package presence

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatd/chatd/internal/bus"
)

// Cluster timing defaults. A node that stops being heard from (it died)
// stops counting after ExpiryIntervals intervals: 6 s by default, inside
// the vendor's 10 s refresh of get_online_member_num.
const (
	DefaultInterval = 2 * time.Second
	ExpiryIntervals = 3
	// maxMessageBytes keeps one bus message well under NATS's default
	// 1 MiB payload limit; more changes than that are sent in parts.
	maxMessageBytes = 512 << 10
	// maxIDsPerChange splits a user's change in many groups, so one change
	// always fits a message.
	maxIDsPerChange = 1000
	// flushGap is the least time between two messages of changes: under
	// churn the changes of a few milliseconds share one message instead
	// of paying a message each, and the others still hear of them at once
	// next to the presence interval.
	flushGap = 5 * time.Millisecond
)

// Cluster is the cluster-wide view of who is online: every node's live
// rooms, stored-group connections and users, replicated to every node.
//
// Each node is the only authority on its own connections. It applies a
// change to its own view at once and publishes it to the others, in
// numbered messages batched by a sender goroutine; every interval it
// publishes a beat with the last number sent. A node that misses a
// number (a lost message, an outage) asks the sender for a snapshot of
// everything it holds, sent in parts, which replaces what it had of that
// node. So the traffic is proportional to the changes, not to the rooms'
// sizes, and every question (a count, a listing, online status) is
// answered from memory on any node, each user counted once.
type Cluster struct {
	local      *Tracker
	localUsers func() []UserRef
	bus        bus.Bus
	health     bus.Health // nil when the bus does not report its connection
	node       string
	inc        uint64
	interval   time.Duration
	now        func() time.Time
	log        *slog.Logger

	self   *peer // this node in the views
	rooms  roomIndex
	groups groupIndex
	users  userIndex
	nodes  atomic.Int64 // live nodes, this one included

	wake   chan struct{} // capacity 1: changes are waiting to be sent
	answer chan struct{} // capacity 1: another node asked for our snapshot
	resync chan struct{} // capacity 1: the bus reconnected

	// out is what this node tells the others. A change is made in the
	// views and queued under its lock (a live-room change under the
	// tracker's room lock as well), so changes are queued in the order
	// they are made.
	out struct {
		sync.Mutex
		on      bool // Start was called: changes are queued
		pending []change
		users   map[userKey][]string // this node's users as last queued
	}
	// send serializes publishing, so sequence numbers go out in order.
	send struct {
		sync.Mutex
		seq uint64
	}

	mu      sync.Mutex
	peers   map[string]*peer // the other live nodes
	round   *syncRound       // guarded by mu
	waiting atomic.Pointer[syncRound]
}

// peer is a node as the views know it: this one, or another whose changes
// arrive on the bus. Entries in the views point to their peer.
type peer struct {
	id  string
	inc uint64
	// The rest is the receiving state of another node, guarded by
	// Cluster.mu.
	seq    uint64    // the last change message received
	synced bool      // the views hold exactly its state as of seq
	seen   time.Time // the last message from it
	asked  time.Time // the last snapshot request to it
	peers  []string  // the nodes it counted in its latest snapshot
	snap   *incoming // a snapshot being received
}

// incoming collects the parts of one snapshot.
type incoming struct {
	seq     uint64
	next    int
	changes []change
}

// syncRound is one request for every other node's snapshot. Queries wait
// until done is closed: when every node any answer named has answered, or
// one interval after the request (longer while parts of large snapshots
// are still arriving, see armSync), whichever comes first. No node knows
// how many others there are, so the answers themselves say whom to wait
// for: each snapshot lists the nodes its sender counts.
type syncRound struct {
	done     chan struct{}
	want     map[string]bool // nodes named by the answers so far
	answered map[string]bool // nodes whose complete snapshot arrived
	parts    int             // snapshot parts received: progress
}

// ClusterOptions tune a Cluster; zero values take the defaults.
type ClusterOptions struct {
	Node     string // unique per process; random when empty
	Interval time.Duration
	Now      func() time.Time
	Logger   *slog.Logger
	// LocalUsers lists the users connected to this node; their online
	// status is told to the others every interval, as changes. Nil tells
	// no users.
	LocalUsers func() []UserRef
}

// NewCluster subscribes to the other nodes' changes, their requests for
// this node's snapshot, and mark changes, and starts hearing the local
// tracker's changes: create it before the tracker is used. Call Start to
// take part in the cluster; until then it answers for this node alone.
func NewCluster(local *Tracker, b bus.Bus, opts ClusterOptions) (*Cluster, error) {
	var id [8]byte
	_, _ = rand.Read(id[:])
	if opts.Node == "" {
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
	c := &Cluster{local: local, localUsers: opts.LocalUsers, bus: b, node: opts.Node, inc: binary.BigEndian.Uint64(id[:]),
		interval: opts.Interval, now: opts.Now, log: opts.Logger.With("component", "presence"), peers: map[string]*peer{},
		wake: make(chan struct{}, 1), answer: make(chan struct{}, 1), resync: make(chan struct{}, 1)}
	c.self = &peer{id: c.node, inc: c.inc}
	c.rooms.init()
	c.groups.init()
	c.users.init()
	c.nodes.Store(1)
	if _, err := b.Subscribe(bus.PresenceSubject(), c.onMessage); err != nil {
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
	local.observe(c)
	return c, nil
}

// Node is this node's ID in the cluster.
func (c *Cluster) Node() string { return c.node }

// Expiry is how long a silent node keeps counting.
func (c *Cluster) Expiry() time.Duration { return ExpiryIntervals * c.interval }

// Nodes is how many nodes are live as this node sees them, itself
// included: the share of a cluster-wide rate limit is 1/Nodes. O(1).
func (c *Cluster) Nodes() int { return int(c.nodes.Load()) }

// Start takes part in the cluster until stop is called: it publishes this
// node's snapshot and asks the other nodes for theirs before it returns,
// then sends changes as they happen and a beat every interval, and
// answers the other nodes' requests. Until the other nodes' snapshots are
// in, or for one interval (three while large snapshots are still
// arriving), queries wait for them rather than answer with this node's
// users alone; the same happens each time the bus reconnects, as other
// nodes may have been dropped meanwhile. While the bus is disconnected
// queries do not wait: there is nothing to wait for.
// stop tells the other nodes this node is leaving, so they stop counting
// it at once, and returns when that is sent.
func (c *Cluster) Start() (stop func()) {
	c.beginSync()
	c.out.Lock()
	c.out.on = true
	c.out.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	c.diffUsers()
	c.publishSnapshot(ctx)
	c.requestSnapshots(ctx, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.run(ctx)
	}()
	return func() {
		c.out.Lock()
		c.out.on = false // the goroutine sends what is queued, then nothing more is
		c.out.Unlock()
		cancel()
		<-done
	}
}

func (c *Cluster) run(ctx context.Context) {
	beat := time.NewTicker(c.interval)
	defer beat.Stop()
	// Silent nodes are looked for four times an interval, so one stops
	// counting at most a quarter interval after its expiry.
	expire := time.NewTicker(c.interval / 4)
	defer expire.Stop()
	for {
		select {
		case <-ctx.Done():
			c.flush(context.Background())
			c.publishLeaving()
			return
		case <-c.wake:
			c.flush(ctx)
			gap := time.NewTimer(flushGap)
			select {
			case <-gap.C:
			case <-ctx.Done():
				gap.Stop()
			}
		case <-beat.C:
			c.diffUsers()
			c.beat(ctx)
		case <-expire.C:
			c.expire()
		case <-c.answer:
			c.publishSnapshot(ctx)
		case <-c.resync:
			// The others may have dropped this node during the outage.
			c.publishSnapshot(ctx)
			c.requestSnapshots(ctx, nil)
		}
	}
}

// connected reports whether the bus reaches other nodes now.
func (c *Cluster) connected() bool { return c.health == nil || c.health.Connected() }

// queueLocked queues changes for the other nodes, once Start was called.
// c.out must be locked.
func (c *Cluster) queueLocked(cs ...change) {
	if !c.out.on || len(cs) == 0 {
		return
	}
	c.out.pending = append(c.out.pending, cs...)
	signal(c.wake)
}

// memberSet, memberLeft and roomDropped hear the tracker's changes (the
// roomObserver), under its room lock.
func (c *Cluster) memberSet(appID uint64, groupID string, m OnlineMember) {
	c.record(change{Kind: kindRoom, Op: opSet, App: appID, IDs: []string{groupID}, User: m.UserID, Stamp: m.Stamp, Join: m.JoinTime, Marks: m.Marks})
}

func (c *Cluster) memberLeft(appID uint64, groupID, userID string) {
	c.record(change{Kind: kindRoom, Op: opRemove, App: appID, IDs: []string{groupID}, User: userID})
}

func (c *Cluster) roomDropped(appID uint64, groupID string) {
	c.record(change{Kind: kindRoom, Op: opDrop, App: appID, IDs: []string{groupID}})
}

// record makes a change of this node in its own view and queues it.
func (c *Cluster) record(ch change) {
	c.out.Lock()
	defer c.out.Unlock()
	c.rooms.apply(c.self, &ch)
	c.queueLocked(ch)
}

// flush sends the queued changes.
func (c *Cluster) flush(ctx context.Context) {
	c.send.Lock()
	defer c.send.Unlock()
	c.flushLocked(ctx)
}

// flushLocked sends the queued changes, in as many messages as their size
// needs; c.send must be locked. While the bus is down they are dropped,
// and the sequence moves on so the others see the gap and ask for a
// snapshot: that is cheaper than buffering an outage's worth of changes.
func (c *Cluster) flushLocked(ctx context.Context) {
	c.out.Lock()
	pending := c.out.pending
	c.out.pending = nil
	c.out.Unlock()
	if len(pending) == 0 {
		return
	}
	if !c.connected() {
		c.send.seq++
		return
	}
	for _, body := range encodeChanges(pending) {
		c.send.seq++
		c.publish(ctx, header{Type: msgChanges, Seq: c.send.seq}, body)
	}
}

// beat sends what is queued, then the sequence number reached.
func (c *Cluster) beat(ctx context.Context) {
	c.send.Lock()
	defer c.send.Unlock()
	c.flushLocked(ctx)
	if c.connected() {
		c.publish(ctx, header{Type: msgBeat, Seq: c.send.seq}, nil)
	}
}

// publishSnapshot sends everything this node holds, as of the last change
// message sent. Changes made while it is being gathered may be in it and
// be sent after it too; applying them again changes nothing.
func (c *Cluster) publishSnapshot(ctx context.Context) {
	c.send.Lock()
	defer c.send.Unlock()
	c.flushLocked(ctx)
	if !c.connected() {
		return // the reconnect sends one
	}
	all := c.rooms.dump(c.self, nil)
	all = c.groups.dump(c.self, all)
	c.out.Lock()
	for k, ps := range c.out.users {
		all = append(all, change{Kind: kindUser, Op: opSet, App: k.appID, User: k.userID, Platforms: ps})
	}
	c.out.Unlock()
	bodies := encodeChanges(all)
	peers := c.livePeers()
	for i, body := range bodies {
		h := header{Type: msgSnapshot, Seq: c.send.seq, Part: i, Parts: len(bodies)}
		if i == 0 {
			h.Peers = peers
		}
		if !c.publish(ctx, h, body) {
			return
		}
	}
}

func (c *Cluster) publishLeaving() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c.send.Lock()
	defer c.send.Unlock()
	c.publish(ctx, header{Type: msgLeave}, nil)
}

func (c *Cluster) publish(ctx context.Context, h header, body []byte) bool {
	h.Node, h.Inc = c.node, c.inc
	if err := c.bus.Publish(ctx, bus.PresenceSubject(), encodeMessage(h, body)); err != nil {
		c.log.Warn("publish presence", "type", h.Type, "err", err)
		return false
	}
	return true
}

func (c *Cluster) livePeers() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.peers))
	for id := range c.peers {
		out = append(out, id)
	}
	return out
}

// requestSnapshots asks the nodes of (all when of is empty) to publish
// their snapshots.
func (c *Cluster) requestSnapshots(ctx context.Context, of []string) {
	if !c.connected() {
		return // the reconnect will ask
	}
	data, _ := json.Marshal(syncMsg{Node: c.node, Of: of})
	if err := c.bus.Publish(ctx, bus.PresenceSyncSubject(), data); err != nil {
		c.log.Warn("request presence snapshots", "err", err)
	}
}

// onReconnect runs on the bus's goroutine; the publishing is left to run.
func (c *Cluster) onReconnect() {
	c.out.Lock()
	started := c.out.on
	c.out.Unlock()
	if !started {
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
	if len(m.Of) == 0 || slices.Contains(m.Of, c.node) {
		// Requests arriving together (every node reconnecting at once)
		// are answered by one snapshot.
		signal(c.answer)
	}
}

// signal wakes run without blocking the caller.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (c *Cluster) onMarks(data []byte) {
	var m marksMsg
	if err := json.Unmarshal(data, &m); err != nil || m.Node == c.node {
		return
	}
	c.local.SetMarksIfPresent(m.AppID, m.GroupID, m.UserID, m.Marks, m.Add)
}
