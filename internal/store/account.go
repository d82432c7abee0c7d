package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"

	"github.com/chatd/chatd/internal/im"
)

// ImportAccounts implements im.AccountStore. Items are written in
// (AppID, UserID) order so that two concurrent imports touching the same IDs
// lock them in the same order and cannot deadlock on PostgreSQL; the stable
// sort keeps the caller's order among duplicates, so the last one wins.
func (db *DB) ImportAccounts(ctx context.Context, items []im.AccountImport) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	if len(items) == 0 {
		return nil
	}
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b im.AccountImport) int {
		return cmp.Or(cmp.Compare(a.AppID, b.AppID), cmp.Compare(a.UserID, b.UserID))
	})
	const (
		insert = `INSERT INTO accounts (app_id, user_id, nick, face_url, created_at) VALUES (?, ?, ?, ?, ?)`
		// An existing account keeps its created_at, and every field the
		// import did not carry.
		keep = insert + ` ON CONFLICT (app_id, user_id) DO NOTHING`
		both = insert + ` ON CONFLICT (app_id, user_id) DO UPDATE SET nick = excluded.nick, face_url = excluded.face_url`
		nick = insert + ` ON CONFLICT (app_id, user_id) DO UPDATE SET nick = excluded.nick`
		face = insert + ` ON CONFLICT (app_id, user_id) DO UPDATE SET face_url = excluded.face_url`
	)
	upsert := map[[2]bool]string{{false, false}: keep, {true, true}: both, {true, false}: nick, {false, true}: face}
	err := db.inTx(ctx, func(c conn) error {
		if !slices.ContainsFunc(sorted, func(it im.AccountImport) bool { return it.SetNick || it.SetFaceURL }) {
			// Only new accounts (a burst of first logins): one multi-row
			// statement instead of one per account. DO NOTHING lets one
			// statement carry the same ID twice.
			values := make([]any, 0, 5*len(sorted))
			for _, it := range sorted {
				values = append(values, appID(it.AppID), it.UserID, it.Nick, it.FaceURL, it.CreatedAt)
			}
			tx := streamTx{c: c} // for its multi-row insert
			return tx.insertRows(ctx, `INSERT INTO accounts (app_id, user_id, nick, face_url, created_at) VALUES `, 5, values,
				` ON CONFLICT (app_id, user_id) DO NOTHING`, nil)
		}
		for _, it := range sorted {
			q := upsert[[2]bool{it.SetNick, it.SetFaceURL}]
			if _, err := c.exec(ctx, q, appID(it.AppID), it.UserID, it.Nick, it.FaceURL, it.CreatedAt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.fail("import accounts", err)
	}
	return nil
}

// GetAccounts implements im.AccountStore.
func (db *DB) GetAccounts(ctx context.Context, app uint64, userIDs []string) (map[string]im.Account, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	out := make(map[string]im.Account, len(userIDs))
	// The directory's batched misses call this with any number of IDs:
	// padded, its statement texts stay few (ladderChunks).
	for _, ids := range ladderChunks(userIDs) {
		args := withIDs(ids, appID(app))
		rows, err := db.reader().query(ctx, `SELECT user_id, nick, face_url, created_at, logins_revoked_before FROM accounts
			WHERE app_id = ? AND user_id IN (`+placeholders(len(ids))+`)`, args...)
		err = each(rows, err, func(r *sql.Rows) error {
			a := im.Account{AppID: app}
			if err := r.Scan(&a.UserID, &a.Nick, &a.FaceURL, &a.CreatedAt, &a.LoginsRevokedBefore); err != nil {
				return err
			}
			out[a.UserID] = a
			return nil
		})
		if err != nil {
			return nil, db.fail("get accounts", err)
		}
	}
	return out, nil
}

// CountAccounts implements im.AccountStore.
func (db *DB) CountAccounts(ctx context.Context, app uint64) (int, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var n int
	if err := db.reader().queryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE app_id = ?`, appID(app)).Scan(&n); err != nil {
		return 0, db.fail("count accounts", err)
	}
	return n, nil
}

// DeleteAccount implements im.AccountStore. The account row, its
// memberships (with the member_num of each group adjusted) and the
// deleted_accounts record change in one transaction. Groups the user owns
// keep their Owner field: handing ownership over is the group domain's
// business.
func (db *DB) DeleteAccount(ctx context.Context, app uint64, userID string, now int64) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(app)
	err := db.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM accounts WHERE app_id = ? AND user_id = ?`, a, userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return im.ErrNotFound
		}
		// Decrement exactly the groups whose rows this DELETE removed, so a
		// membership added concurrently cannot make member_num drift.
		var groups []string
		rows, err := c.query(ctx, `DELETE FROM group_members WHERE app_id = ? AND user_id = ? RETURNING group_id`, a, userID)
		err = each(rows, err, func(r *sql.Rows) error {
			var g string
			err := r.Scan(&g)
			groups = append(groups, g)
			return err
		})
		if err != nil {
			return err
		}
		for _, ids := range chunks(groups) {
			args := withIDs(ids, a)
			if _, err := c.exec(ctx, `UPDATE groups SET member_num = member_num - 1
				WHERE app_id = ? AND group_id IN (`+placeholders(len(ids))+`)`, args...); err != nil {
				return err
			}
		}
		_, err = c.exec(ctx, `INSERT INTO deleted_accounts (app_id, user_id, deleted_at) VALUES (?, ?, ?)
			ON CONFLICT (app_id, user_id) DO UPDATE SET deleted_at = excluded.deleted_at`, a, userID, now)
		return err
	})
	if err != nil {
		return db.fail("delete account", err)
	}
	return nil
}

// RevokeLogins implements im.AccountStore. The revocation only moves
// forward, so a late retry of an older kick cannot re-admit sigs.
func (db *DB) RevokeLogins(ctx context.Context, app uint64, userID string, before int64) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.inTx(ctx, func(c conn) error {
		var current int64
		err := c.queryRow(ctx, `SELECT logins_revoked_before FROM accounts WHERE app_id = ? AND user_id = ?`, appID(app), userID).Scan(&current)
		if err != nil || current >= before {
			return err
		}
		_, err = c.exec(ctx, `UPDATE accounts SET logins_revoked_before = ? WHERE app_id = ? AND user_id = ?`, before, appID(app), userID)
		return err
	})
	if err != nil {
		return db.fail("revoke logins", err)
	}
	return nil
}

// DeletedSince implements im.AccountStore.
func (db *DB) DeletedSince(ctx context.Context, app uint64, userIDs []string, since int64) (map[string]int64, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	out := make(map[string]int64)
	for _, ids := range chunks(userIDs) {
		args := withIDs(ids, appID(app), since)
		rows, err := db.reader().query(ctx, `SELECT user_id, deleted_at FROM deleted_accounts
			WHERE app_id = ? AND deleted_at >= ? AND user_id IN (`+placeholders(len(ids))+`)`, args...)
		err = each(rows, err, func(r *sql.Rows) error {
			var id string
			var at int64
			if err := r.Scan(&id, &at); err != nil {
				return err
			}
			out[id] = at
			return nil
		})
		if err != nil {
			return nil, db.fail("deleted since", err)
		}
	}
	return out, nil
}
