package group

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// Group custom attribute limits (rest-groups.md S9).
const (
	MaxAttrKeys         = 16
	MaxAttrKeyBytes     = 32
	MaxAttrValueBytes   = 4000
	MaxAttrTotalBytes   = 16000 // all values together
	MaxAttrWritesPerSec = 5     // per group, every node together

	// FeatureAttrs is the per-app switch of group custom attributes (10007).
	FeatureAttrs = "group_attr"
)

// AttrOp is one of the attribute write commands.
type AttrOp int

// The attribute writes.
const (
	AttrModify AttrOp = iota // modify_group_attr: upsert the listed keys
	AttrSet                  // set_group_attr: replace the whole set
	AttrClear                // clear_group_attr: delete every key
	AttrDelete               // delete_group_attr: delete the listed keys
)

// attrGroup checks the feature switch and returns the group.
func (s *Service) attrGroup(ctx context.Context, app *config.App, groupID string) (*im.Group, error) {
	if !app.Enabled(FeatureAttrs) {
		return nil, &im.Error{Code: im.CodeGroupNotAllowed, Info: "group custom attributes are not enabled for this app"}
	}
	return s.Get(ctx, app.SDKAppID, groupID)
}

// Attrs is get_group_attr: every attribute, in the order first set.
// Users read those of their own groups and of live groups.
func (s *Service) Attrs(ctx context.Context, app *config.App, by Operator, groupID string) ([]im.Attr, error) {
	g, err := s.attrGroup(ctx, app, groupID)
	if err != nil {
		return nil, err
	}
	if err := s.mayRead(ctx, g, by); err != nil {
		return nil, err
	}
	a, err := s.store.GetGroupAttrs(ctx, g.AppID, g.ID)
	if err != nil {
		return nil, fmt.Errorf("group: attrs of %s: %w", g.ID, err)
	}
	return a.Attrs, nil
}

// WriteAttrs runs one attribute write command; attrs are the request's
// pairs (only keys for AttrDelete, none for AttrClear). Writes to a group
// are serialized across nodes, and at most MaxAttrWritesPerSec succeed in
// one second (10049); the members are told the resulting set.
func (s *Service) WriteAttrs(ctx context.Context, app *config.App, by Operator, groupID string, op AttrOp, attrs []im.Attr, now time.Time) error {
	if err := checkAttrs(op, attrs); err != nil {
		return err
	}
	g, err := s.attrGroup(ctx, app, groupID)
	if err != nil {
		return err
	}
	if op == AttrClear && g.Type == im.GroupCommunity {
		return &im.Error{Code: im.CodeGroupNotAllowed, Info: "clear_group_attr does not support Community groups"}
	}
	if err := s.authorize(ctx, actAttrs, g, by); err != nil {
		return err
	}
	var concerned []im.Attr // what the callback reports: the pairs set, or those removed
	stored, err := s.store.WriteGroupAttrs(ctx, g.AppID, g.ID, func(a *im.GroupAttrs) error {
		concerned = changedAttrs(op, a.Attrs, attrs)
		if a.WindowStart != now.Unix() {
			a.WindowStart, a.WindowWrites = now.Unix(), 0
		}
		if a.WindowWrites >= MaxAttrWritesPerSec {
			return im.Errorf(im.CodeAttrRateLimit, "group %s takes at most %d attribute writes per second", g.ID, MaxAttrWritesPerSec)
		}
		next, err := applyAttrs(op, a.Attrs, attrs)
		if err != nil {
			return err
		}
		a.Attrs = next
		a.Version++
		a.WindowWrites++
		return nil
	})
	switch {
	case errors.Is(err, im.ErrNotFound):
		return im.Errorf(im.CodeGroupNotFound, "group %s does not exist", g.ID)
	case err != nil:
		return wireOr(err, "group: write attrs of %s", g.ID)
	}
	ev := AttrChanged{Type: EventAttrChanged, GroupId: g.ID, Operator_Account: by.UserID, GroupAttrAry: nonNilAttrs(stored.Attrs)}
	s.notify(EventAttrChanged, g.ID, func(n Notifier) error { return n.GroupEvent(ctx, g.AppID, g.ID, ev) })
	s.hooks.AfterAttrChange(ctx, g, by.UserID, op, nonNilAttrs(concerned))
	return nil
}

// changedAttrs are the attributes a write concerns: the pairs it sets, or
// the pairs (as they were) it removes.
func changedAttrs(op AttrOp, current, attrs []im.Attr) []im.Attr {
	switch op {
	case AttrClear:
		return append([]im.Attr(nil), current...)
	case AttrDelete:
		var out []im.Attr
		for _, a := range attrs {
			if i := indexOfAttr(current, a.Key); i >= 0 {
				out = append(out, current[i])
			}
		}
		return out
	}
	return attrs
}

// checkAttrs checks the request's pairs on their own.
func checkAttrs(op AttrOp, attrs []im.Attr) error {
	if op == AttrClear {
		return nil
	}
	if len(attrs) == 0 && op != AttrSet {
		return &im.Error{Code: im.CodeGroupBadParam, Info: "GroupAttr is required"}
	}
	if len(attrs) > MaxAttrKeys && op != AttrDelete {
		return im.Errorf(im.CodeAttrTooManyKeys, "GroupAttr has %d keys, at most %d", len(attrs), MaxAttrKeys)
	}
	for _, a := range attrs {
		switch {
		case a.Key == "":
			return &im.Error{Code: im.CodeGroupBadParam, Info: "GroupAttr holds an empty key"}
		case len(a.Key) > MaxAttrKeyBytes:
			return im.Errorf(im.CodeAttrKeyTooLong, "attribute key %q is over %d bytes", a.Key, MaxAttrKeyBytes)
		case len(a.Value) > MaxAttrValueBytes:
			return im.Errorf(im.CodeAttrValueTooLong, "the value of attribute %q is over %d bytes", a.Key, MaxAttrValueBytes)
		}
	}
	return nil
}

// applyAttrs computes the attribute set after a write and checks the
// limits of the whole set.
func applyAttrs(op AttrOp, current, attrs []im.Attr) ([]im.Attr, error) {
	var next []im.Attr
	switch op {
	case AttrClear:
		return nil, nil
	case AttrDelete:
		gone := map[string]bool{}
		for _, a := range attrs {
			if indexOfAttr(current, a.Key) < 0 {
				return nil, im.Errorf(im.CodeAttrKeyNotFound, "attribute %q does not exist", a.Key)
			}
			gone[a.Key] = true
		}
		for _, a := range current {
			if !gone[a.Key] {
				next = append(next, a)
			}
		}
		return next, nil
	case AttrModify:
		next = append(next, current...)
	}
	for _, a := range attrs {
		if i := indexOfAttr(next, a.Key); i >= 0 {
			next[i].Value = a.Value
		} else {
			next = append(next, a)
		}
	}
	if len(next) > MaxAttrKeys {
		return nil, im.Errorf(im.CodeAttrTooManyKeys, "the group would hold %d attributes, at most %d", len(next), MaxAttrKeys)
	}
	total := 0
	for _, a := range next {
		total += len(a.Value)
	}
	if total > MaxAttrTotalBytes {
		return nil, im.Errorf(im.CodeAttrTooLarge, "the group's attribute values would take %d bytes, at most %d", total, MaxAttrTotalBytes)
	}
	return next, nil
}

func indexOfAttr(attrs []im.Attr, key string) int {
	for i, a := range attrs {
		if a.Key == key {
			return i
		}
	}
	return -1
}

func nonNilAttrs(a []im.Attr) []im.Attr {
	if a == nil {
		return []im.Attr{}
	}
	return a
}
