package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/chatd/chatd/internal/im"
)

var _ im.RobotStore = (*DB)(nil)

// MarkRobot implements im.RobotStore. The no-op UPDATE first locks the
// app's chatbot rows (PostgreSQL; SQLite's write transaction holds the
// database), so two nodes creating the twentieth chatbot at once count
// each other's.
func (db *DB) MarkRobot(ctx context.Context, app uint64, userID string, now int64, max int) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.inTx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, `UPDATE robots SET valid = valid WHERE app_id = ?`, appID(app)); err != nil {
			return err
		}
		var valid bool
		err := c.queryRow(ctx, `SELECT valid FROM robots WHERE app_id = ? AND user_id = ?`, appID(app), userID).Scan(&valid)
		switch {
		case err == nil && valid:
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		var n int
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM robots WHERE app_id = ? AND valid`, appID(app)).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return im.ErrConflict
		}
		_, err = c.exec(ctx, `INSERT INTO robots (app_id, user_id, valid, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (app_id, user_id) DO UPDATE SET valid = excluded.valid`, appID(app), userID, true, now)
		return err
	})
	if err != nil {
		return db.fail("mark robot", err)
	}
	return nil
}

// ListRobots implements im.RobotStore.
func (db *DB) ListRobots(ctx context.Context, app uint64) ([]string, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	out := []string{}
	rows, err := db.reader().query(ctx, `SELECT user_id FROM robots WHERE app_id = ? AND valid ORDER BY user_id`+db.dialect.ByteOrder, appID(app))
	err = each(rows, err, func(r *sql.Rows) error {
		var id string
		err := r.Scan(&id)
		out = append(out, id)
		return err
	})
	if err != nil {
		return nil, db.fail("list robots", err)
	}
	return out, nil
}

// InvalidateRobot implements im.RobotStore.
func (db *DB) InvalidateRobot(ctx context.Context, app uint64, userID string) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE robots SET valid = ? WHERE app_id = ? AND user_id = ?`, false, appID(app), userID)
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
		return db.fail("invalidate robot", err)
	}
	return nil
}
