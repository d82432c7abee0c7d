package message

import (
	"time"

	"github.com/chatd/chatd/internal/ratelimit"
)

// GroupMsgRate is how many messages one group takes per second
// (send_group_msg: 40/s, its topics included). Past it a REST send is
// accepted but dropped (MsgDropReason "MsgFreqCtrl") and a client's send is
// refused with 10023.
const GroupMsgRate = 40

// Limiter decides whether one more message may go into a group now.
type Limiter interface {
	Allow(appID uint64, groupID string, now time.Time) bool
}

// GroupLimiter is the per-group limit as a token bucket (package
// ratelimit): cluster-wide when it knows the number of live nodes, each
// node then taking its share.
type GroupLimiter struct {
	l *ratelimit.Limiter[limitKey]
}

type limitKey struct {
	app   uint64
	group string
}

// NewGroupLimiter allows GroupMsgRate messages per group and second across
// the nodes counted by nodes (nil: this node alone).
func NewGroupLimiter(nodes func() int) *GroupLimiter {
	return &GroupLimiter{l: ratelimit.New[limitKey](ratelimit.Options{Nodes: nodes})}
}

// Allow implements Limiter.
func (g *GroupLimiter) Allow(appID uint64, groupID string, now time.Time) bool {
	return g.l.AllowAt(limitKey{appID, groupID}, GroupMsgRate, now)
}
