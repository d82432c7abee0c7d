package store

import (
	"context"
	"database/sql"

	"github.com/chatd/chatd/internal/im"
)

// PutApplication implements im.GroupStore. The insert reads the group's
// row, so an application never outlives a group deleted concurrently.
func (db *DB) PutApplication(ctx context.Context, app uint64, groupID string, a im.Application) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	id := appID(app)
	err := db.inTx(ctx, func(c conn) error {
		return mustAffect(c.exec(ctx, `INSERT INTO group_applications (app_id, group_id, user_id, apply_msg, apply_time)
			SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM groups WHERE app_id = ? AND group_id = ?)
			ON CONFLICT (app_id, group_id, user_id) DO UPDATE SET apply_msg = excluded.apply_msg, apply_time = excluded.apply_time`,
			id, groupID, a.UserID, a.Message, a.Time, id, groupID))
	})
	if err != nil {
		return db.fail("put application", err)
	}
	return nil
}

// GetApplication implements im.GroupStore.
func (db *DB) GetApplication(ctx context.Context, app uint64, groupID, userID string) (*im.Application, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := im.Application{UserID: userID}
	err := db.reader().queryRow(ctx, `SELECT apply_msg, apply_time FROM group_applications
		WHERE app_id = ? AND group_id = ? AND user_id = ?`, appID(app), groupID, userID).Scan(&a.Message, &a.Time)
	if err != nil {
		return nil, db.fail("get application", err)
	}
	return &a, nil
}

// ListApplications implements im.GroupStore.
func (db *DB) ListApplications(ctx context.Context, app uint64, groupID string, offset, limit int) ([]im.Application, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out []im.Application
	rows, err := db.reader().query(ctx, `SELECT user_id, apply_msg, apply_time FROM group_applications
		WHERE app_id = ? AND group_id = ? ORDER BY apply_time, user_id`+db.dialect.ByteOrder+` LIMIT ? OFFSET ?`,
		appID(app), groupID, limit, offset)
	err = each(rows, err, func(r *sql.Rows) error {
		var a im.Application
		if err := r.Scan(&a.UserID, &a.Message, &a.Time); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, db.fail("list applications", err)
	}
	return out, nil
}

// DeleteApplication implements im.GroupStore.
func (db *DB) DeleteApplication(ctx context.Context, app uint64, groupID, userID string) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.inTx(ctx, func(c conn) error {
		return mustAffect(deleteApplication(ctx, c, appID(app), groupID, userID))
	})
	if err != nil {
		return db.fail("delete application", err)
	}
	return nil
}

// ApproveApplication implements im.GroupStore. The application's delete
// decides between concurrent approvers: the one that removed it adds the
// member, the others find nothing.
func (db *DB) ApproveApplication(ctx context.Context, app uint64, groupID string, m im.Member) (bool, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(app)
	var added []string
	err := db.inTx(ctx, func(c conn) error {
		num, maxMembers, err := lockGroup(ctx, c, a, groupID)
		if err != nil {
			return err
		}
		if err := mustAffect(deleteApplication(ctx, c, a, groupID, m.UserID)); err != nil {
			return err
		}
		added, err = addMembersIn(ctx, c, a, groupID, num, maxMembers, []im.Member{m})
		return err
	})
	if err != nil {
		return false, db.fail("approve application", err)
	}
	return len(added) == 1, nil
}

func deleteApplication(ctx context.Context, c conn, app int64, groupID, userID string) (sql.Result, error) {
	return c.exec(ctx, `DELETE FROM group_applications WHERE app_id = ? AND group_id = ? AND user_id = ?`, app, groupID, userID)
}

// mustAffect passes on a statement's error, or im.ErrNotFound when it
// changed no row.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return im.ErrNotFound
	}
	return nil
}
