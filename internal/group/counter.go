package group

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// Group counter limits (rest-groups.md, Group counters).
const (
	MaxCounterKeys     = 20
	MaxCounterKeyBytes = 128

	// FeatureCounters is the per-app switch of group counters (10059).
	FeatureCounters = "group_counter"
)

// Modes of update_group_counter.
const (
	CounterSet      = "Set"
	CounterIncrease = "Increase"
	CounterDecrease = "Decrease"
)

// counterGroup checks the feature switch and the group type.
func (s *Service) counterGroup(ctx context.Context, app *config.App, groupID string) (*im.Group, error) {
	if !app.Enabled(FeatureCounters) {
		return nil, &im.Error{Code: im.CodeCounterUnavailable, Info: "group counters are not enabled for this app"}
	}
	g, err := s.Get(ctx, app.SDKAppID, groupID)
	if err != nil {
		return nil, err
	}
	if err := supports(actCounters, g); err != nil {
		return nil, err
	}
	return g, nil
}

func checkCounterKeys(keys []string) error {
	for _, k := range keys {
		if k == "" || len(k) > MaxCounterKeyBytes {
			return im.Errorf(im.CodeGroupBadParam, "counter key %q must be 1 to %d bytes", k, MaxCounterKeyBytes)
		}
	}
	return nil
}

// Counters is get_group_counter: the listed counters that exist, in the
// order asked, or every counter (by key) when keys is nil. Users read
// those of their own groups and of live groups.
func (s *Service) Counters(ctx context.Context, app *config.App, by Operator, groupID string, keys []string) ([]im.Counter, error) {
	if err := checkCounterKeys(keys); err != nil {
		return nil, err
	}
	g, err := s.counterGroup(ctx, app, groupID)
	if err != nil {
		return nil, err
	}
	if err := s.mayRead(ctx, g, by); err != nil {
		return nil, err
	}
	if keys != nil && len(keys) == 0 {
		return nil, nil
	}
	found, err := s.store.GetCounters(ctx, g.AppID, g.ID, keys)
	if err != nil {
		return nil, fmt.Errorf("group: counters of %s: %w", g.ID, err)
	}
	if keys == nil {
		return found, nil
	}
	byKey := map[string]int64{}
	for _, c := range found {
		byKey[c.Key] = c.Value
	}
	var out []im.Counter
	for _, k := range keys {
		if v, ok := byKey[k]; ok {
			out = append(out, im.Counter{Key: k, Value: v})
			delete(byKey, k)
		}
	}
	return out, nil
}

// UpdateCounters is update_group_counter: one mode for every entry
// ("" is Set); a result outside the int64 range fails the call (10004).
// It returns the new values; the members are told them.
func (s *Service) UpdateCounters(ctx context.Context, app *config.App, by Operator, groupID, mode string, entries []im.Counter) ([]im.Counter, error) {
	if len(entries) == 0 {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "GroupCounter is required"}
	}
	if len(entries) > MaxCounterKeys {
		return nil, im.Errorf(im.CodeCounterTooManyKeys, "GroupCounter has %d entries, at most %d", len(entries), MaxCounterKeys)
	}
	changes := make([]im.CounterChange, len(entries))
	for i, e := range entries {
		if err := checkCounterKeys([]string{e.Key}); err != nil {
			return nil, err
		}
		changes[i] = im.CounterChange{Key: e.Key, Value: e.Value}
		switch mode {
		case "", CounterSet:
		case CounterIncrease:
			changes[i].Add = true
		case CounterDecrease:
			if e.Value == math.MinInt64 {
				return nil, im.Errorf(im.CodeGroupBadParam, "decreasing %s by %d leaves the int64 range", e.Key, e.Value)
			}
			changes[i].Add, changes[i].Value = true, -e.Value
		default:
			return nil, im.Errorf(im.CodeGroupBadParam, "Mode %q is not Set, Increase or Decrease", mode)
		}
	}
	g, err := s.counterGroup(ctx, app, groupID)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, actCounters, g, by); err != nil {
		return nil, err
	}
	values, err := s.store.UpdateCounters(ctx, g.AppID, g.ID, changes, MaxCounterKeys)
	switch {
	case errors.Is(err, im.ErrFull):
		return nil, im.Errorf(im.CodeCounterTooManyKeys, "group %s would hold more than %d counters", g.ID, MaxCounterKeys)
	case errors.Is(err, im.ErrOverflow):
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "a counter would leave the int64 range"}
	case errors.Is(err, im.ErrNotFound):
		return nil, im.Errorf(im.CodeGroupNotFound, "group %s does not exist", g.ID)
	case err != nil:
		return nil, fmt.Errorf("group: update counters of %s: %w", g.ID, err)
	}
	ev := CounterChanged{Type: EventCounterChanged, GroupId: g.ID, Operator_Account: by.UserID}
	for _, c := range values {
		ev.GroupCounter = append(ev.GroupCounter, CounterValue{Key: c.Key, Value: c.Value})
	}
	s.notify(EventCounterChanged, g.ID, func(n Notifier) error { return n.GroupEvent(ctx, g.AppID, g.ID, ev) })
	return values, nil
}

// DeleteCounters is delete_group_counter: the listed counters (missing
// ones are ignored), or every counter when keys is nil.
func (s *Service) DeleteCounters(ctx context.Context, app *config.App, by Operator, groupID string, keys []string) error {
	if err := checkCounterKeys(keys); err != nil {
		return err
	}
	g, err := s.counterGroup(ctx, app, groupID)
	if err != nil {
		return err
	}
	if err := s.authorize(ctx, actCounters, g, by); err != nil {
		return err
	}
	if keys != nil && len(keys) == 0 {
		return nil
	}
	existing, err := s.store.GetCounters(ctx, g.AppID, g.ID, keys)
	if err != nil {
		return fmt.Errorf("group: delete counters of %s: %w", g.ID, err)
	}
	if err := s.store.DeleteCounters(ctx, g.AppID, g.ID, keys); err != nil {
		return fmt.Errorf("group: delete counters of %s: %w", g.ID, err)
	}
	if len(existing) == 0 {
		return nil
	}
	ev := CounterChanged{Type: EventCounterChanged, GroupId: g.ID, Operator_Account: by.UserID}
	for _, c := range existing {
		ev.DeletedKeys = append(ev.DeletedKeys, c.Key)
	}
	s.notify(EventCounterChanged, g.ID, func(n Notifier) error { return n.GroupEvent(ctx, g.AppID, g.ID, ev) })
	return nil
}
