package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/chatd/chatd/internal/im"
)

var _ im.MessageStore = (*DB)(nil)

// errDuplicate rolls back an append whose message was sent before.
var errDuplicate = errors.New("duplicate message")

// AppendGroupMessage implements im.MessageStore. Taking the counter is the
// transaction's first statement: it locks the group's row on PostgreSQL
// (SQLite's write transaction already holds the database), so appends to
// one group from any node queue there, and the duplicate check that follows
// sees every earlier append committed. A duplicate rolls everything back,
// the counter included.
func (db *DB) AppendGroupMessage(ctx context.Context, m *im.GroupMessage, how im.MessageAppend) (im.Appended, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(m.AppID)
	var out im.Appended
	err := db.inTx(ctx, func(c conn) error {
		// A group created with next_msg_seq 0 still starts at 1.
		var seq int64
		if err := c.queryRow(ctx, `UPDATE groups SET last_msg_time = ?,
			next_msg_seq = CASE WHEN next_msg_seq < 1 THEN 2 ELSE next_msg_seq + 1 END
			WHERE app_id = ? AND group_id = ? RETURNING next_msg_seq - 1`, m.Time, a, m.GroupID).Scan(&seq); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `DELETE FROM group_msg_dedup WHERE app_id = ? AND group_id = ? AND msg_time < ?`,
			a, m.GroupID, how.DedupSince); err != nil {
			return err
		}
		err := c.queryRow(ctx, `SELECT msg_seq, msg_time FROM group_msg_dedup
			WHERE app_id = ? AND group_id = ? AND msg_random = ? AND content_hash = ?`,
			a, m.GroupID, int64(m.Random), how.ContentHash).Scan(&out.Seq, &out.Time)
		if err == nil {
			out.Duplicate = true
			return errDuplicate
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		out = im.Appended{Seq: seq, Time: m.Time}
		if _, err := c.exec(ctx, `INSERT INTO group_msg_dedup (app_id, group_id, msg_random, content_hash, msg_seq, msg_time)
			VALUES (?, ?, ?, ?, ?, ?)`, a, m.GroupID, int64(m.Random), how.ContentHash, seq, m.Time); err != nil {
			return err
		}
		if how.Keep {
			// A non-nil slice: database/sql binds a nil one as NULL.
			custom := append([]byte{}, m.CloudCustomData...)
			if _, err := c.exec(ctx, `INSERT INTO group_messages (app_id, group_id, msg_seq, from_account, msg_time,
				msg_random, msg_priority, msg_body, cloud_custom_data, offline_push_info)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a, m.GroupID, seq, m.From, m.Time,
				int64(m.Random), m.Priority, string(m.Body), custom, string(m.OfflinePushInfo)); err != nil {
				return err
			}
		}
		_, err = c.exec(ctx, `UPDATE group_members SET last_send_msg_time = ? WHERE app_id = ? AND group_id = ? AND user_id = ?`,
			m.Time, a, m.GroupID, m.From)
		return err
	})
	switch {
	case errors.Is(err, errDuplicate):
		return out, nil
	case err != nil:
		return im.Appended{}, db.fail("append group message", err)
	}
	return out, nil
}

// ListGroupMessages implements im.MessageStore.
func (db *DB) ListGroupMessages(ctx context.Context, app uint64, groupID string, maxSeq int64, limit int) ([]im.GroupMessage, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	if limit <= 0 {
		return nil, fmt.Errorf("store: list group messages: limit %d is not positive", limit)
	}
	var out []im.GroupMessage
	rows, err := db.reader().query(ctx, `SELECT msg_seq, from_account, msg_time, msg_random, msg_priority,
		msg_body, cloud_custom_data, offline_push_info FROM group_messages
		WHERE app_id = ? AND group_id = ? AND msg_seq <= ? ORDER BY msg_seq DESC LIMIT ?`,
		appID(app), groupID, maxSeq, limit)
	err = each(rows, err, func(r *sql.Rows) error {
		m := im.GroupMessage{AppID: app, GroupID: groupID}
		var random int64
		var body, push string
		var custom []byte
		if err := r.Scan(&m.Seq, &m.From, &m.Time, &random, &m.Priority, &body, &custom, &push); err != nil {
			return err
		}
		m.Random, m.Body, m.CloudCustomData = uint32(random), []byte(body), string(custom)
		if push != "" {
			m.OfflinePushInfo = []byte(push)
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, db.fail("list group messages", err)
	}
	return out, nil
}
