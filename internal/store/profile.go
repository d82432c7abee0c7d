package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/chatd/chatd/internal/im"
)

var _ im.ProfileStore = (*DB)(nil)

// accountColumn maps the profile tags that are account columns.
var accountColumn = map[string]string{im.TagNick: "nick", im.TagImage: "face_url"}

// SetProfile implements im.ProfileStore. The events are committed first:
// that locks every account they reach, the profile's owner among them, in
// the order every stream commit locks accounts, before the profile rows
// change.
func (db *DB) SetProfile(ctx context.Context, app uint64, userID string, fields []im.TagValue, writes []im.StreamWrite) ([]im.StreamResult, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var results []im.StreamResult
	err := db.inTx(ctx, func(c conn) error {
		var err error
		if results, err = commitStreamIn(ctx, c, writes); err != nil {
			return err
		}
		if err := c.queryRow(ctx, `UPDATE accounts SET event_seq = event_seq WHERE app_id = ? AND user_id = ? RETURNING user_id`,
			appID(app), userID).Scan(new(string)); err != nil {
			return err
		}
		for _, f := range fields {
			if col, ok := accountColumn[f.Tag]; ok {
				var s string
				if err := json.Unmarshal(f.Value, &s); err != nil {
					return fmt.Errorf("%s is not a JSON string: %w", f.Tag, err)
				}
				if _, err := c.exec(ctx, `UPDATE accounts SET `+col+` = ? WHERE app_id = ? AND user_id = ?`, s, appID(app), userID); err != nil {
					return err
				}
				continue
			}
			if _, err := c.exec(ctx, `INSERT INTO profile_fields (app_id, user_id, tag, value) VALUES (?, ?, ?, ?)
				ON CONFLICT (app_id, user_id, tag) DO UPDATE SET value = excluded.value`, appID(app), userID, f.Tag, string(f.Value)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, db.fail("set profile", err)
	}
	return results, nil
}

// GetProfiles implements im.ProfileStore.
func (db *DB) GetProfiles(ctx context.Context, app uint64, userIDs, tags []string) (map[string][]im.TagValue, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	values := map[string]map[string]json.RawMessage{}
	var stored []string // tags kept in profile_fields
	for _, t := range tags {
		if _, ok := accountColumn[t]; !ok && !slices.Contains(stored, t) {
			stored = append(stored, t)
		}
	}
	for _, ids := range chunks(userIDs) {
		rows, err := db.reader().query(ctx, `SELECT user_id, nick, face_url FROM accounts
			WHERE app_id = ? AND user_id IN (`+placeholders(len(ids))+`)`, withIDs(ids, appID(app))...)
		err = each(rows, err, func(r *sql.Rows) error {
			var id, nick, face string
			if err := r.Scan(&id, &nick, &face); err != nil {
				return err
			}
			values[id] = map[string]json.RawMessage{}
			for tag, s := range map[string]string{im.TagNick: nick, im.TagImage: face} {
				if s != "" {
					values[id][tag], _ = im.EncodeJSON(s)
				}
			}
			return nil
		})
		if err != nil {
			return nil, db.fail("get profiles", err)
		}
		if len(stored) == 0 {
			continue
		}
		args := withIDs(stored, withIDs(ids, appID(app))...)
		rows, err = db.reader().query(ctx, `SELECT user_id, tag, value FROM profile_fields WHERE app_id = ?
			AND user_id IN (`+placeholders(len(ids))+`) AND tag IN (`+placeholders(len(stored))+`)`, args...)
		err = each(rows, err, func(r *sql.Rows) error {
			var id, tag, value string
			if err := r.Scan(&id, &tag, &value); err != nil {
				return err
			}
			if m := values[id]; m != nil {
				m[tag] = json.RawMessage(value)
			}
			return nil
		})
		if err != nil {
			return nil, db.fail("get profiles", err)
		}
	}
	out := make(map[string][]im.TagValue, len(values))
	for id, m := range values {
		fields := []im.TagValue{}
		for _, t := range tags {
			if v, ok := m[t]; ok {
				fields = append(fields, im.TagValue{Tag: t, Value: v})
			}
		}
		out[id] = fields
	}
	return out, nil
}

// SetGlobalMute implements im.ProfileStore.
func (db *DB) SetGlobalMute(ctx context.Context, app uint64, userID string, c2cUntil, groupUntil *int64) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE accounts SET c2c_mute_until = COALESCE(?, c2c_mute_until),
			group_mute_until = COALESCE(?, group_mute_until) WHERE app_id = ? AND user_id = ?`,
			nullInt(c2cUntil), nullInt(groupUntil), appID(app), userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return im.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return db.fail("set global mute", err)
	}
	return nil
}

// nullInt binds an optional integer: NULL when absent.
func nullInt(v *int64) sql.NullInt64 {
	if v == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *v, Valid: true}
}

// GetGlobalMutes implements im.ProfileStore.
func (db *DB) GetGlobalMutes(ctx context.Context, app uint64, userIDs []string) (map[string]im.GlobalMute, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	out := make(map[string]im.GlobalMute, len(userIDs))
	for _, ids := range ladderChunks(userIDs) {
		rows, err := db.reader().query(ctx, `SELECT user_id, c2c_mute_until, group_mute_until FROM accounts
			WHERE app_id = ? AND user_id IN (`+placeholders(len(ids))+`)`, withIDs(ids, appID(app))...)
		err = each(rows, err, func(rows *sql.Rows) error {
			var id string
			var m im.GlobalMute
			err := rows.Scan(&id, &m.C2CUntil, &m.GroupUntil)
			out[id] = m
			return err
		})
		if err != nil {
			return nil, db.fail("get global mutes", err)
		}
	}
	return out, nil
}

// GetGlobalMute implements im.ProfileStore.
func (db *DB) GetGlobalMute(ctx context.Context, app uint64, userID string) (im.GlobalMute, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var m im.GlobalMute
	err := db.reader().queryRow(ctx, `SELECT c2c_mute_until, group_mute_until FROM accounts WHERE app_id = ? AND user_id = ?`,
		appID(app), userID).Scan(&m.C2CUntil, &m.GroupUntil)
	if err != nil {
		return im.GlobalMute{}, db.fail("get global mute", err)
	}
	return m, nil
}
