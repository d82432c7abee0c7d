package im

import (
	"context"
	"errors"
)

// Counter is one group counter: a named signed 64-bit integer.
type Counter struct {
	Key   string
	Value int64
}

// CounterChange is one step of UpdateCounters: store Value, or with Add,
// add it (negative to subtract) to the current value, a missing key
// counting as 0.
type CounterChange struct {
	Key   string
	Value int64
	Add   bool
}

// ErrOverflow means an addition would leave the int64 range. Nothing was
// written.
var ErrOverflow = errors.New("counter overflow")

// CounterStore persists group counters. Keys are ordered bytewise.
type CounterStore interface {
	// GetCounters returns the listed counters of a group that exist, or
	// all of them when keys is nil. A group that does not exist has none.
	GetCounters(ctx context.Context, appID uint64, groupID string, keys []string) ([]Counter, error)
	// UpdateCounters applies the changes in order, atomically, and returns
	// the resulting value of each key changed, in the order of its first
	// change. Additions are made in place, so concurrent updates from any
	// number of nodes never lose one. It returns ErrFull when the group
	// would hold more than maxKeys counters, ErrOverflow, or ErrNotFound
	// when the group does not exist; nothing is written then.
	UpdateCounters(ctx context.Context, appID uint64, groupID string, changes []CounterChange, maxKeys int) ([]Counter, error)
	// DeleteCounters removes the listed counters (missing ones are
	// ignored), or all of them when keys is nil.
	DeleteCounters(ctx context.Context, appID uint64, groupID string, keys []string) error
}
