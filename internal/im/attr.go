package im

import "context"

// Attr is one group custom attribute (rest-groups.md S9); the JSON names
// are the wire's lower-case ones.
type Attr struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// GroupAttrs is a group's attribute set with its write bookkeeping.
type GroupAttrs struct {
	// Attrs are in the order their keys were first set.
	Attrs []Attr
	// Version counts the writes of the set.
	Version int64
	// WindowStart (a Unix second) and WindowWrites count the writes made
	// in the current second, for the per-group write rate.
	WindowStart  int64
	WindowWrites int
}

// GroupAttrStore persists group custom attributes.
type GroupAttrStore interface {
	// GetGroupAttrs returns a group's attributes: none, without an error,
	// for a group that has none or does not exist.
	GetGroupAttrs(ctx context.Context, appID uint64, groupID string) (GroupAttrs, error)
	// WriteGroupAttrs runs apply on the group's attribute set and stores
	// what apply left, in one transaction that holds the set, so writes to
	// one group are serialized across nodes and apply always sees the
	// latest set. An error from apply rolls back and is returned wrapped.
	// It returns the stored set, or ErrNotFound when the group does not
	// exist.
	WriteGroupAttrs(ctx context.Context, appID uint64, groupID string, apply func(a *GroupAttrs) error) (GroupAttrs, error)
}
