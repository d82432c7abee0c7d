package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/chatd/chatd/internal/im"
)

// storeMute writes one mute row: until > 0 sets it, 0 deletes it.
func storeMute(ctx context.Context, c conn, app int64, groupID, topicID string, m im.Mute) error {
	if m.Until == 0 {
		_, err := c.exec(ctx, `DELETE FROM group_mutes WHERE app_id = ? AND group_id = ? AND topic_id = ? AND user_id = ?`,
			app, groupID, topicID, m.UserID)
		return err
	}
	_, err := c.exec(ctx, `INSERT INTO group_mutes (app_id, group_id, topic_id, user_id, until) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (app_id, group_id, topic_id, user_id) DO UPDATE SET until = excluded.until`,
		app, groupID, topicID, m.UserID, m.Until)
	return err
}

// SetMutes implements im.GroupStore. The group's row is locked first, as
// by AddMembers, so a user joining while being muted gets the mute either
// from the mute row or on the member row.
func (db *DB) SetMutes(ctx context.Context, app uint64, groupID, topicID string, mutes []im.Mute, now int64) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(app)
	err := db.inTx(ctx, func(c conn) error {
		if _, _, err := lockGroup(ctx, c, a, groupID); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `DELETE FROM group_mutes WHERE app_id = ? AND group_id = ? AND until <= ?`,
			a, groupID, now); err != nil {
			return err
		}
		for _, m := range mutes {
			if err := storeMute(ctx, c, a, groupID, topicID, m); err != nil {
				return err
			}
			if topicID != "" {
				continue
			}
			if _, err := c.exec(ctx, `UPDATE group_members SET mute_until = ? WHERE app_id = ? AND group_id = ? AND user_id = ?`,
				m.Until, a, groupID, m.UserID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.fail("set mutes", err)
	}
	return nil
}

// ListMutes implements im.GroupStore.
func (db *DB) ListMutes(ctx context.Context, app uint64, groupID, topicID string, now int64) ([]im.Mute, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out []im.Mute
	rows, err := db.reader().query(ctx, `SELECT user_id, until FROM group_mutes
		WHERE app_id = ? AND group_id = ? AND topic_id = ? AND until > ? ORDER BY user_id`+db.dialect.ByteOrder,
		appID(app), groupID, topicID, now)
	err = each(rows, err, func(r *sql.Rows) error {
		var m im.Mute
		if err := r.Scan(&m.UserID, &m.Until); err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, db.fail("list mutes", err)
	}
	return out, nil
}

// MutedUntil implements im.GroupStore.
func (db *DB) MutedUntil(ctx context.Context, app uint64, groupID, topicID, userID string, now int64) (int64, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var until int64
	err := db.reader().queryRow(ctx, `SELECT until FROM group_mutes
		WHERE app_id = ? AND group_id = ? AND topic_id = ? AND user_id = ? AND until > ?`,
		appID(app), groupID, topicID, userID, now).Scan(&until)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, db.fail("muted until", err)
	}
	return until, nil
}
