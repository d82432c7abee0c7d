package bus

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// Local is the in-process Bus: one node, no network. Publish runs the
// handlers synchronously on the caller's goroutine, so a delivery has
// completed when Publish returns.
type Local struct {
	mu     sync.RWMutex
	subs   map[string][]*localSub // replaced, never mutated: Publish reads without copying
	closed bool
}

type localSub struct {
	handler func([]byte)
	active  atomic.Bool
}

var (
	_ Bus    = (*Local)(nil)
	_ Health = (*Local)(nil)
)

// NewLocal returns an empty in-process bus.
func NewLocal() *Local {
	return &Local{subs: make(map[string][]*localSub)}
}

// Publish calls every handler subscribed to subject with data. It holds no
// lock while handlers run, so they may publish or (un)subscribe themselves.
func (l *Local) Publish(ctx context.Context, subject string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.RLock()
	closed, subs := l.closed, l.subs[subject]
	l.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	for _, s := range subs {
		if s.active.Load() {
			s.handler(data)
		}
	}
	return nil
}

// Subscribe registers handler for subject.
func (l *Local) Subscribe(subject string, handler func([]byte)) (func(), error) {
	s := &localSub{handler: handler}
	s.active.Store(true)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	// Copy-on-write: a Publish holding the old slice keeps iterating it
	// safely, and Publish itself never allocates.
	l.subs[subject] = append(slices.Clip(l.subs[subject]), s)
	return func() { l.unsubscribe(subject, s) }, nil
}

func (l *Local) unsubscribe(subject string, s *localSub) {
	if !s.active.Swap(false) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.subs[subject]
	i := slices.Index(old, s)
	if i < 0 {
		return
	}
	if len(old) == 1 {
		delete(l.subs, subject)
		return
	}
	l.subs[subject] = slices.Delete(slices.Clone(old), i, i+1)
}

// Close drops every subscription.
func (l *Local) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, subs := range l.subs {
		for _, s := range subs {
			s.active.Store(false)
		}
	}
	l.closed, l.subs = true, nil
	return nil
}

// Connected is always true: there is no network to lose.
func (l *Local) Connected() bool { return true }

// OnReconnect does nothing: an in-process bus never reconnects.
func (l *Local) OnReconnect(func()) {}
