package push

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"time"

	"github.com/chatd/chatd/internal/im"
)

// Online delivery. The node that records a push delivers it to its own
// connections and tells every other node once, on Subject; each node then
// matches its own connected users of the app against the condition and
// writes the event to their connections here. A node that misses the bus
// message (cut off from NATS) has its clients resync, and sync_push hands
// them what they missed.

// Subject carries every push to all users to every node: the publishing
// node's ID, then the push as JSON.
const Subject = "chatd.all_member_push"

// nodeIDLen is the length of the node ID that starts every bus message.
const nodeIDLen = 8

// matchBatch is how many users' attributes or tags one read fetches.
const matchBatch = 500

// fanOutTimeout bounds one node's delivery of one push.
const fanOutTimeout = time.Minute

func newNodeID() [nodeIDLen]byte {
	var id [nodeIDLen]byte
	_, _ = rand.Read(id[:])
	return id
}

// Start subscribes the service to the other nodes' pushes until ctx ends.
func (s *Service) Start(ctx context.Context) error {
	if s.bus == nil {
		return nil
	}
	unsubscribe, err := s.bus.Subscribe(Subject, s.onBus)
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		unsubscribe()
	}()
	return nil
}

// announce delivers a recorded push here and tells the other nodes.
func (s *Service) announce(ctx context.Context, p im.AllMemberPush) {
	go s.fanOut(p)
	if s.bus == nil {
		return
	}
	data, err := json.Marshal(p)
	if err != nil {
		s.log.Error("encode push for the bus", "err", err)
		return
	}
	msg := append(append(make([]byte, 0, nodeIDLen+len(data)), s.node[:]...), data...)
	if err := s.bus.Publish(context.WithoutCancel(ctx), Subject, msg); err != nil {
		s.log.Warn("push not published to every node; their clients get it when they sync", "app", p.AppID, "seq", p.Seq, "err", err)
	}
}

// onBus handles another node's push.
func (s *Service) onBus(data []byte) {
	if len(data) < nodeIDLen || [nodeIDLen]byte(data[:nodeIDLen]) == s.node {
		return
	}
	var p im.AllMemberPush
	if err := json.Unmarshal(data[nodeIDLen:], &p); err != nil {
		s.log.Warn("malformed push on the bus", "err", err)
		return
	}
	go s.fanOut(p)
}

// fanOut delivers p to the matching users connected to this node.
func (s *Service) fanOut(p im.AllMemberPush) {
	if s.local == nil {
		return
	}
	users := s.local.LocalUsers(p.AppID)
	if len(users) == 0 {
		return
	}
	targets := users
	if !p.Condition.Empty() {
		ctx, cancel := context.WithTimeout(context.Background(), fanOutTimeout)
		defer cancel()
		targets = targets[:0:0]
		for start := 0; start < len(users); start += matchBatch {
			batch := users[start:min(start+matchBatch, len(users))]
			profiles, err := s.store.PushProfiles(ctx, p.AppID, batch)
			if err != nil {
				s.log.Warn("push: recipients not read; their clients get it when they sync", "app", p.AppID, "seq", p.Seq, "err", err)
				return
			}
			for _, u := range batch {
				if p.Condition.Match(profiles[u]) {
					targets = append(targets, u)
				}
			}
		}
	}
	if len(targets) > 0 {
		s.local.DeliverLocal(p.AppID, targets, im.Push{Event: event(p)})
	}
}
