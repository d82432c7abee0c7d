package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strings"

	"github.com/chatd/chatd/internal/im"
)

// GetCounters implements im.GroupStore.
func (db *DB) GetCounters(ctx context.Context, app uint64, groupID string, keys []string) ([]im.Counter, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out []im.Counter
	scan := func(r *sql.Rows) error {
		var c im.Counter
		if err := r.Scan(&c.Key, &c.Value); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}
	order := ` ORDER BY counter_key` + db.dialect.ByteOrder
	if keys == nil {
		rows, err := db.reader().query(ctx, `SELECT counter_key, value FROM group_counters
			WHERE app_id = ? AND group_id = ?`+order, appID(app), groupID)
		if err := each(rows, err, scan); err != nil {
			return nil, db.fail("get counters", err)
		}
		return out, nil
	}
	for _, ks := range chunks(keys) {
		rows, err := db.reader().query(ctx, `SELECT counter_key, value FROM group_counters
			WHERE app_id = ? AND group_id = ? AND counter_key IN (`+placeholders(len(ks))+`)`+order,
			withIDs(ks, appID(app), groupID)...)
		if err := each(rows, err, scan); err != nil {
			return nil, db.fail("get counters", err)
		}
	}
	slices.SortFunc(out, func(a, b im.Counter) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// UpdateCounters implements im.GroupStore. Changes are applied in key
// order (stable, so one key's changes keep theirs), which makes two
// concurrent updates of the same keys lock them in the same order instead
// of deadlocking. An addition is one UPDATE that adds in place, guarded so
// the sum stays in range on both engines (SQLite would turn an overflowing
// sum into a float). A change that may create a key takes the group's row
// lock before it, so the key count checked afterwards sees every
// concurrent creation.
func (db *DB) UpdateCounters(ctx context.Context, app uint64, groupID string, changes []im.CounterChange, maxKeys int) ([]im.Counter, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(app)
	sorted := slices.Clone(changes)
	slices.SortStableFunc(sorted, func(x, y im.CounterChange) int { return strings.Compare(x.Key, y.Key) })
	values := map[string]int64{}
	err := db.inTx(ctx, func(c conn) error {
		keys := make([]string, len(sorted))
		for i, ch := range sorted {
			keys[i] = ch.Key
		}
		existing := map[string]bool{}
		for _, ks := range chunks(slices.Compact(slices.Clone(keys))) {
			rows, err := c.query(ctx, `SELECT counter_key FROM group_counters WHERE app_id = ? AND group_id = ?
				AND counter_key IN (`+placeholders(len(ks))+`)`, withIDs(ks, a, groupID)...)
			err = each(rows, err, func(r *sql.Rows) error {
				var k string
				if err := r.Scan(&k); err != nil {
					return err
				}
				existing[k] = true
				return nil
			})
			if err != nil {
				return err
			}
		}
		locked := false
		lock := func() error {
			if locked {
				return nil
			}
			locked = true
			_, _, err := lockGroup(ctx, c, a, groupID)
			return err
		}
		created := false
		for _, ch := range sorted {
			if !existing[ch.Key] {
				if err := lock(); err != nil {
					return err
				}
			}
			res, err := c.exec(ctx, `INSERT INTO group_counters (app_id, group_id, counter_key, value) VALUES (?, ?, ?, 0)
				ON CONFLICT (app_id, group_id, counter_key) DO NOTHING`, a, groupID, ch.Key)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n > 0 {
				created = true
				existing[ch.Key] = true
			}
			v, err := applyCounter(ctx, c, a, groupID, ch)
			if err != nil {
				return err
			}
			values[ch.Key] = v
		}
		if !created {
			return nil
		}
		if err := lock(); err != nil {
			return err
		}
		var n int
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM group_counters WHERE app_id = ? AND group_id = ?`, a, groupID).Scan(&n); err != nil {
			return err
		}
		if n > maxKeys {
			return im.ErrFull
		}
		return nil
	})
	if err != nil {
		return nil, db.fail("update counters", err)
	}
	out := make([]im.Counter, 0, len(values))
	for _, ch := range changes {
		if v, ok := values[ch.Key]; ok {
			out = append(out, im.Counter{Key: ch.Key, Value: v})
			delete(values, ch.Key)
		}
	}
	return out, nil
}

// applyCounter stores or adds one change to an existing row and returns
// the new value.
func applyCounter(ctx context.Context, c conn, a int64, groupID string, ch im.CounterChange) (int64, error) {
	var v int64
	if !ch.Add {
		err := c.queryRow(ctx, `UPDATE group_counters SET value = ? WHERE app_id = ? AND group_id = ? AND counter_key = ?
			RETURNING value`, ch.Value, a, groupID, ch.Key).Scan(&v)
		return v, err
	}
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if ch.Value >= 0 {
		hi -= ch.Value
	} else {
		lo -= ch.Value
	}
	err := c.queryRow(ctx, `UPDATE group_counters SET value = value + ? WHERE app_id = ? AND group_id = ? AND counter_key = ?
		AND value BETWEEN ? AND ? RETURNING value`, ch.Value, a, groupID, ch.Key, lo, hi).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, im.ErrOverflow
	}
	return v, err
}

// DeleteCounters implements im.GroupStore.
func (db *DB) DeleteCounters(ctx context.Context, app uint64, groupID string, keys []string) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(app)
	err := db.inTx(ctx, func(c conn) error {
		if keys == nil {
			_, err := c.exec(ctx, `DELETE FROM group_counters WHERE app_id = ? AND group_id = ?`, a, groupID)
			return err
		}
		for _, ks := range chunks(keys) {
			if _, err := c.exec(ctx, `DELETE FROM group_counters WHERE app_id = ? AND group_id = ?
				AND counter_key IN (`+placeholders(len(ks))+`)`, withIDs(ks, a, groupID)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.fail("delete counters", err)
	}
	return nil
}
