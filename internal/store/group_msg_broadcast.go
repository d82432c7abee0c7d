package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/chatd/chatd/internal/im"
)

// CommitBroadcast implements im.MessageStore. Broadcasts are rare (a few
// per second per app at most), so each prunes its app's expired duplicate
// keys itself.
func (db *DB) CommitBroadcast(ctx context.Context, b im.Broadcast) (seq, time int64, dup bool, err error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(b.AppID)
	err = db.inTx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, `DELETE FROM broadcast_dedup WHERE app_id = ? AND msg_time < ?`, a, b.DedupSince); err != nil {
			return err
		}
		err := c.queryRow(ctx, `SELECT msg_seq, msg_time FROM broadcast_dedup WHERE app_id = ? AND msg_random = ? AND content_hash = ?`,
			a, int64(b.Random), b.ContentHash).Scan(&seq, &time)
		switch {
		case err == nil:
			dup = true
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if err := c.queryRow(ctx, `INSERT INTO broadcast_seqs (app_id, last_seq) VALUES (?, 1)
			ON CONFLICT (app_id) DO UPDATE SET last_seq = broadcast_seqs.last_seq + 1 RETURNING last_seq`, a).Scan(&seq); err != nil {
			return err
		}
		time = b.Time
		_, err = c.exec(ctx, `INSERT INTO broadcast_dedup (app_id, msg_random, content_hash, msg_seq, msg_time) VALUES (?, ?, ?, ?, ?)`,
			a, int64(b.Random), b.ContentHash, seq, b.Time)
		return err
	})
	if err != nil {
		return 0, 0, false, db.fail("commit broadcast", err)
	}
	return seq, time, dup, nil
}
