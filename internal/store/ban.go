package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/chatd/chatd/internal/im"
)

// BanMembers implements im.GroupStore. A ban of a group that does not
// exist violates the group_bans foreign key, which surfaces as
// im.ErrNotFound.
func (db *DB) BanMembers(ctx context.Context, app uint64, groupID string, bans []im.Ban) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	if len(bans) == 0 {
		return nil
	}
	a := appID(app)
	err := db.inTx(ctx, func(c conn) error {
		for _, b := range bans {
			if _, err := c.exec(ctx, `INSERT INTO group_bans (app_id, group_id, user_id, until, description)
				VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (app_id, group_id, user_id) DO UPDATE SET until = excluded.until, description = excluded.description`,
				a, groupID, b.UserID, b.Until, b.Description); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.fail("ban members", err)
	}
	return nil
}

// UnbanMembers implements im.GroupStore.
func (db *DB) UnbanMembers(ctx context.Context, app uint64, groupID string, userIDs []string) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	if len(userIDs) == 0 {
		return nil
	}
	a := appID(app)
	err := db.inTx(ctx, func(c conn) error {
		for _, ids := range chunks(userIDs) {
			args := withIDs(ids, a, groupID)
			if _, err := c.exec(ctx, `DELETE FROM group_bans WHERE app_id = ? AND group_id = ? AND user_id IN (`+
				placeholders(len(ids))+`)`, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.fail("unban members", err)
	}
	return nil
}

// ListBans implements im.GroupStore. A ban is in force while until > now.
func (db *DB) ListBans(ctx context.Context, app uint64, groupID string, now int64, offset, limit int) ([]im.Ban, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	if limit <= 0 || offset < 0 {
		return nil, fmt.Errorf("store: list bans: offset %d, limit %d out of range", offset, limit)
	}
	var out []im.Ban
	rows, err := db.reader().query(ctx, `SELECT user_id, until, description FROM group_bans
		WHERE app_id = ? AND group_id = ? AND until > ? ORDER BY user_id`+db.dialect.ByteOrder+` LIMIT ? OFFSET ?`,
		appID(app), groupID, now, limit, offset)
	err = each(rows, err, func(r *sql.Rows) error {
		var b im.Ban
		if err := r.Scan(&b.UserID, &b.Until, &b.Description); err != nil {
			return err
		}
		out = append(out, b)
		return nil
	})
	if err != nil {
		return nil, db.fail("list bans", err)
	}
	return out, nil
}

// BannedUntil implements im.GroupStore.
func (db *DB) BannedUntil(ctx context.Context, app uint64, groupID, userID string, now int64) (int64, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var until int64
	err := db.reader().queryRow(ctx, `SELECT until FROM group_bans
		WHERE app_id = ? AND group_id = ? AND user_id = ? AND until > ?`, appID(app), groupID, userID, now).Scan(&until)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, db.fail("banned until", err)
	}
	return until, nil
}
