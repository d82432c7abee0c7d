package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/chatd/chatd/internal/im"
)

var _ im.MessageStore = (*DB)(nil)

// groupMessageColumns are the columns scanGroupMessage reads, in its order.
const groupMessageColumns = `msg_seq, from_account, msg_time, msg_random, msg_priority, msg_body, cloud_custom_data,
	offline_push_info, to_accounts, at_info, need_receipt, support_ext, recalled`

func scanGroupMessage(r *sql.Rows, app uint64, groupID string) (im.GroupMessage, error) {
	m := im.GroupMessage{AppID: app, GroupID: groupID}
	var random int64
	var body, push, to, at string
	var custom []byte
	if err := r.Scan(&m.Seq, &m.From, &m.Time, &random, &m.Priority, &body, &custom, &push, &to, &at,
		&m.NeedReadReceipt, &m.SupportExtension, &m.Recalled); err != nil {
		return m, err
	}
	m.Random, m.Body, m.CloudCustomData = uint32(random), []byte(body), string(custom)
	if push != "" {
		m.OfflinePushInfo = []byte(push)
	}
	if at != "" {
		m.AtInfo = []byte(at)
	}
	var err error
	if m.To, err = decodeIDs(to); err != nil {
		return m, fmt.Errorf("message %d: to_accounts: %w", m.Seq, err)
	}
	return m, nil
}

// ListGroupMessages implements im.MessageStore.
func (db *DB) ListGroupMessages(ctx context.Context, app uint64, groupID string, maxSeq int64, limit int) ([]im.GroupMessage, error) {
	return db.listGroupMessages(ctx, "list group messages", app, groupID, `msg_seq <= ? ORDER BY msg_seq DESC`, maxSeq, limit)
}

// ListGroupMessagesAfter implements im.StreamStore.
func (db *DB) ListGroupMessagesAfter(ctx context.Context, app uint64, groupID string, after int64, limit int) ([]im.GroupMessage, error) {
	return db.listGroupMessages(ctx, "list group messages after", app, groupID, `msg_seq > ? ORDER BY msg_seq`, after, limit)
}

// listGroupMessages reads a range of a group's history; where bounds
// msg_seq by seq and orders the rows.
func (db *DB) listGroupMessages(ctx context.Context, op string, app uint64, groupID, where string, seq int64, limit int) ([]im.GroupMessage, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	if limit <= 0 {
		return nil, fmt.Errorf("store: %s: limit %d is not positive", op, limit)
	}
	var out []im.GroupMessage
	rows, err := db.reader().query(ctx, `SELECT `+groupMessageColumns+` FROM group_messages
		WHERE app_id = ? AND group_id = ? AND `+where+` LIMIT ?`, appID(app), groupID, seq, limit)
	err = each(rows, err, func(r *sql.Rows) error {
		m, err := scanGroupMessage(r, app, groupID)
		out = append(out, m)
		return err
	})
	if err != nil {
		return nil, db.fail(op, err)
	}
	return out, nil
}
