package store

import (
	"context"
	"database/sql"
	"slices"

	"github.com/chatd/chatd/internal/im"
)

// MarkGroupMessagesRead implements im.MessageStore. Each receipt is a row
// of its own and the message's read_num moves with it, so counts are read
// from one row and a second receipt from the same member counts nothing.
func (db *DB) MarkGroupMessagesRead(ctx context.Context, app uint64, groupID, userID string, seqs []int64, now int64,
	events func(changed []im.ReadChange) im.StreamWrite) ([]im.ReadChange, *im.Committed, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	s := im.MsgStream{AppID: app, GroupID: groupID}
	a := appID(app)
	var changed []im.ReadChange
	var done *im.Committed
	err := db.inTx(ctx, func(c conn) error {
		if err := lockMessages(ctx, c, s, seqs); err != nil {
			return err
		}
		msgs, err := getGroupMessages(ctx, c, s, seqs)
		if err != nil {
			return err
		}
		sorted := slices.Sorted(func(yield func(int64) bool) {
			for seq := range msgs {
				if !yield(seq) {
					return
				}
			}
		})
		for _, seq := range sorted {
			m := msgs[seq]
			if !m.NeedReadReceipt || m.Recalled || m.From == userID {
				continue
			}
			res, err := c.exec(ctx, `INSERT INTO group_msg_receipts (app_id, group_id, msg_seq, user_id, read_time)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_id, group_id, msg_seq, user_id) DO NOTHING`, a, groupID, seq, userID, now)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				continue // counted before
			}
			ch := im.ReadChange{Seq: seq, From: m.From}
			if err := c.queryRow(ctx, `UPDATE group_messages SET read_num = read_num + 1
				WHERE app_id = ? AND group_id = ? AND msg_seq = ? RETURNING read_num`, a, groupID, seq).Scan(&ch.ReadNum); err != nil {
				return err
			}
			changed = append(changed, ch)
		}
		if len(changed) == 0 {
			return nil
		}
		done, err = commitEvents(ctx, c, events(changed))
		return err
	})
	if err != nil {
		return nil, nil, db.fail("mark group messages read", err)
	}
	return changed, done, nil
}

// ListReaders implements im.MessageStore.
func (db *DB) ListReaders(ctx context.Context, app uint64, groupID string, seq int64, after string, limit int) ([]string, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	return db.listUserIDs(ctx, "list readers", `SELECT user_id FROM group_msg_receipts
		WHERE app_id = ? AND group_id = ? AND msg_seq = ? AND user_id`+db.dialect.ByteOrder+` > ?
		ORDER BY user_id`+db.dialect.ByteOrder+` LIMIT ?`, appID(app), groupID, seq, after, limit)
}

// ListNonReaders implements im.MessageStore: one page of the member list,
// by the primary key, without the readers.
func (db *DB) ListNonReaders(ctx context.Context, app uint64, groupID string, seq int64, except, after string, limit int) ([]string, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	return db.listUserIDs(ctx, "list non-readers", `SELECT m.user_id FROM group_members m
		WHERE m.app_id = ? AND m.group_id = ? AND m.user_id <> ? AND m.user_id`+db.dialect.ByteOrder+` > ?
		AND NOT EXISTS (SELECT 1 FROM group_msg_receipts r WHERE r.app_id = m.app_id AND r.group_id = m.group_id
			AND r.msg_seq = ? AND r.user_id = m.user_id)
		ORDER BY m.user_id`+db.dialect.ByteOrder+` LIMIT ?`, appID(app), groupID, except, after, seq, limit)
}

func (db *DB) listUserIDs(ctx context.Context, op, query string, args ...any) ([]string, error) {
	out := []string{}
	rows, err := db.reader().query(ctx, query, args...)
	err = each(rows, err, func(r *sql.Rows) error {
		var id string
		err := r.Scan(&id)
		out = append(out, id)
		return err
	})
	if err != nil {
		return nil, db.fail(op, err)
	}
	return out, nil
}
