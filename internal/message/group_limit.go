package message

import (
	"sync"
	"time"
)

// GroupMsgRate is how many messages one group takes per second
// (send_group_msg: 40/s, its topics included). Past it a REST send is
// accepted but dropped (MsgDropReason "MsgFreqCtrl") and a client's send is
// refused with 10023.
const GroupMsgRate = 40

// Limiter decides whether one more message may go into a group now. The
// per-node LocalLimiter counts what this node sends; a cluster-wide limiter
// can take its place without the message service changing.
type Limiter interface {
	Allow(appID uint64, groupID string, now time.Time) bool
}

// maxLimitEntries bounds the groups a LocalLimiter remembers before it
// forgets those whose second has passed.
const maxLimitEntries = 10000

// LocalLimiter is a Limiter counting this node's sends per group and
// second (each second's window starts empty).
type LocalLimiter struct {
	rate    int
	mu      sync.Mutex
	windows map[limitKey]limitWindow
}

type limitKey struct {
	app   uint64
	group string
}

type limitWindow struct {
	second int64
	count  int
}

// NewLocalLimiter allows rate messages per group and second.
func NewLocalLimiter(rate int) *LocalLimiter {
	return &LocalLimiter{rate: rate, windows: map[limitKey]limitWindow{}}
}

// Allow implements Limiter.
func (l *LocalLimiter) Allow(appID uint64, groupID string, now time.Time) bool {
	k, sec := limitKey{appID, groupID}, now.Unix()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.windows[k]
	if w.second != sec {
		if len(l.windows) >= maxLimitEntries {
			l.forget(sec)
		}
		w = limitWindow{second: sec}
	}
	if w.count >= l.rate {
		return false
	}
	w.count++
	l.windows[k] = w
	return true
}

// forget drops the windows of past seconds: their groups start afresh.
func (l *LocalLimiter) forget(sec int64) {
	for k, w := range l.windows {
		if w.second != sec {
			delete(l.windows, k)
		}
	}
}
