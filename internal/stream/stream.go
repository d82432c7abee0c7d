// Package stream is chatd's one write-and-fan-out path: every message
// (one-to-one, group, system) and every event a client must see is
// committed into the streams of im/stream.go through one group committer,
// then pushed to the connections concerned with its sequence number. The
// store is the truth and the push a fast path: a client that misses a push
// sees the gap in the numbers and syncs (Sync).
package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/chatd/chatd/internal/batch"
	"github.com/chatd/chatd/internal/im"
)

// Retention and windows.
const (
	// DefaultLifetime is how long an entry stays in a user's stream for a
	// device that was offline (MsgLifeTime's default and maximum, 7 days),
	// and how long a group's events stay in its event stream.
	DefaultLifetime = 7 * 24 * time.Hour
	// C2CDedupWindow and GroupDedupWindow are how long a duplicate key
	// holds (rest-messages.md S7).
	C2CDedupWindow   = 120 * time.Second
	GroupDedupWindow = 5 * time.Minute
	// pruneEvery is how often expired entries and keys are deleted.
	pruneEvery = time.Minute
	// SyncPage bounds the entries one sync returns.
	SyncPage = 100
)

// Deliverer reaches client connections on every node; *gateway.Gateway
// implements it. Deliveries are best effort: an error means some node may
// not have been reached, and its clients will sync.
type Deliverer interface {
	// DeliverUser reaches every connection of a user.
	DeliverUser(ctx context.Context, appID uint64, userID string, p im.Push) error
	// DeliverGroup reaches the connections of a stored group's online
	// members (only those listed, when only is not empty).
	DeliverGroup(ctx context.Context, appID uint64, groupID string, p im.Push, only []string) error
	// DeliverRoom reaches every connection in a live room (AVChatRoom).
	DeliverRoom(ctx context.Context, appID uint64, groupID string, p im.Push) error
	// AttachMembers makes the users' connections receive a group's pushes.
	AttachMembers(ctx context.Context, appID uint64, groupID string, userIDs []string) error
	// DetachMembers stops them, after the pushes already published.
	DetachMembers(ctx context.Context, appID uint64, groupID string, userIDs []string) error
	// DropGroup detaches everyone from a dismissed group.
	DropGroup(ctx context.Context, appID uint64, groupID string) error
	// DropRoom empties a destroyed live room.
	DropRoom(ctx context.Context, appID uint64, groupID string) error
}

// Service commits writes and delivers them.
type Service struct {
	store     im.StreamStore
	committer *batch.Committer[im.StreamWrite, im.StreamResult]
	deliver   Deliverer
	groups    Groups
	callbacks Callbacks
	now       func() time.Time
	log       *slog.Logger
}

// Callbacks queues the after callbacks that writes carried (stored in
// their transaction) once they are committed; *webhook.Sender implements
// it.
type Callbacks interface {
	Committed(writes []im.StreamWrite, results []im.StreamResult)
}

// Groups reads a group, with the group API's errors for a missing one
// (*group.Service's Get).
type Groups func(ctx context.Context, appID uint64, groupID string) (*im.Group, error)

// Deps are what the service works over. Deliver may be nil (nothing is
// pushed); Now and Logger default to time.Now and a discarding logger.
type Deps struct {
	Store   im.StreamStore
	Deliver Deliverer
	Groups  Groups
	// Callbacks may be nil when no write carries callbacks.
	Callbacks Callbacks
	Now       func() time.Time
	Logger    *slog.Logger
}

// New starts the service's committer and pruner; they run until ctx ends.
func New(ctx context.Context, d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: d.Store, deliver: d.Deliver, groups: d.Groups, callbacks: d.Callbacks, now: d.Now, log: d.Logger.With("component", "stream")}
	s.committer = batch.New(ctx, batch.DefaultMaxItems, d.Store.CommitStream)
	go s.prune(ctx)
	return s
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// Commit writes w durably (group-committed with concurrent writes) and
// pushes its user and group events. Its message, if any, is the caller's
// to push: only the caller knows its event's shape.
func (s *Service) Commit(ctx context.Context, w im.StreamWrite) (im.StreamResult, error) {
	out, err := s.CommitMany(ctx, []im.StreamWrite{w})
	if err != nil {
		return im.StreamResult{}, err
	}
	return out[0], nil
}

// CommitMany is Commit for several writes, committed together.
func (s *Service) CommitMany(ctx context.Context, writes []im.StreamWrite) ([]im.StreamResult, error) {
	out, err := s.committer.Do(ctx, writes...)
	if err != nil {
		return nil, fmt.Errorf("stream: commit: %w", err)
	}
	for i, w := range writes {
		s.PushCommitted(ctx, w, out[i])
	}
	if s.callbacks != nil {
		s.callbacks.Committed(writes, out)
	}
	return out, nil
}

// PushCommitted delivers the events of a write committed by the store
// (through CommitStream, or by a store method that records the events of
// a change together with it), each with its number.
func (s *Service) PushCommitted(ctx context.Context, w im.StreamWrite, r im.StreamResult) {
	if s.deliver == nil || r.Err != nil || r.Duplicate {
		return
	}
	ctx = context.WithoutCancel(ctx)
	// Group events first: a member who was removed still follows the group
	// and receives the event that says so before the personal notice that
	// makes the client forget the group.
	for i, e := range w.GroupEvents {
		p := im.Push{EventSeq: r.GroupEventSeqs[i], Event: e.Payload}
		s.logPush(s.deliver.DeliverGroup(ctx, w.AppID, e.GroupID, p, nil), "group", e.GroupID)
	}
	for i, e := range w.UserEvents {
		if r.UserSeqs[i] == 0 {
			continue // not an account: nothing was stored, nobody to reach
		}
		s.logPush(s.deliver.DeliverUser(ctx, w.AppID, e.UserID, im.Push{Seq: r.UserSeqs[i], Event: e.Payload}), "user", e.UserID)
	}
}

// PushUser delivers an event that is not stored (online-only) to a user.
func (s *Service) PushUser(ctx context.Context, appID uint64, userID string, p im.Push) {
	if s.deliver != nil {
		s.logPush(s.deliver.DeliverUser(ctx, appID, userID, p), "user", userID)
	}
}

// PushGroup delivers a group message or an unstored group event to the
// group: to a live room's connections, or to a stored group's online
// members (only those listed in only, when it is not empty).
func (s *Service) PushGroup(ctx context.Context, appID uint64, g im.GroupType, groupID string, p im.Push, only []string) {
	if s.deliver == nil {
		return
	}
	if g == im.GroupAVChatRoom {
		s.logPush(s.deliver.DeliverRoom(ctx, appID, groupID, p), "room", groupID)
		return
	}
	s.logPush(s.deliver.DeliverGroup(ctx, appID, groupID, p, only), "group", groupID)
}

// logPush records a delivery that may not have reached every node. The
// write is committed: clients that missed the push catch up by syncing.
func (s *Service) logPush(err error, kind, id string) {
	if err != nil {
		s.log.Warn("push not published to every node; their clients will sync", "to", kind, "id", id, "err", err)
	}
}

// Expiry is when a stream entry written at now with the given lifetime
// leaves the stream.
func Expiry(now time.Time, lifetime time.Duration) int64 { return now.Add(lifetime).Unix() }

// prune deletes expired entries and duplicate keys every pruneEvery.
func (s *Service) prune(ctx context.Context) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := s.now()
		if err := s.store.PruneStreams(ctx, now.Unix(), now.Add(-DefaultLifetime).Unix(), now.Add(-C2CDedupWindow).Unix(), now.Add(-GroupDedupWindow).Unix()); err != nil {
			s.log.Warn("prune streams", "err", err)
		}
	}
}

// Encode is im.EncodeJSON for event payloads built from our own types,
// which cannot fail to encode.
func Encode(v any) json.RawMessage {
	b, err := im.EncodeJSON(v)
	if err != nil {
		panic(fmt.Sprintf("stream: encode %T: %v", v, err))
	}
	return b
}
