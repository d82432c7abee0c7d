package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/chatd/chatd/internal/im"
)

var _ im.MessageStore = (*DB)(nil)

// msgScope is where one message stream is stored: a group's own stream in
// group_messages, a topic's in group_topic_messages (same columns, plus
// the topic). where selects the stream's rows with the leading args.
type msgScope struct {
	table string
	where string
	args  []any
}

func scopeOf(s im.MsgStream) msgScope {
	if s.TopicID == "" {
		return msgScope{"group_messages", "app_id = ? AND group_id = ?", []any{appID(s.AppID), s.GroupID}}
	}
	return msgScope{"group_topic_messages", "app_id = ? AND group_id = ? AND topic_id = ?",
		[]any{appID(s.AppID), s.GroupID, s.TopicID}}
}

// with returns the scope's args followed by more.
func (sc msgScope) with(more ...any) []any {
	return append(append(make([]any, 0, len(sc.args)+len(more)), sc.args...), more...)
}

// groupMessageColumns are the columns scanGroupMessage reads, in its
// order; both message tables have them.
const groupMessageColumns = `msg_seq, from_account, msg_time, msg_random, msg_priority, msg_body, cloud_custom_data,
	offline_push_info, to_accounts, at_info, need_receipt, support_ext, recalled, no_unread, no_last_msg, read_num`

func scanGroupMessage(r interface{ Scan(...any) error }, s im.MsgStream) (im.GroupMessage, error) {
	m := im.GroupMessage{AppID: s.AppID, GroupID: s.GroupID, TopicID: s.TopicID}
	var random int64
	var body, push, to, at string
	var custom []byte
	if err := r.Scan(&m.Seq, &m.From, &m.Time, &random, &m.Priority, &body, &custom, &push, &to, &at,
		&m.NeedReadReceipt, &m.SupportExtension, &m.Recalled, &m.NoUnread, &m.NoLastMsg, &m.ReadNum); err != nil {
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

// ListHistory implements im.MessageStore.
func (db *DB) ListHistory(ctx context.Context, s im.MsgStream, maxSeq int64, limit int, withRecalled bool) ([]im.GroupMessage, error) {
	where := `msg_seq <= ? AND NOT recalled ORDER BY msg_seq DESC`
	if withRecalled {
		where = `msg_seq <= ? ORDER BY msg_seq DESC`
	}
	return db.listGroupMessages(ctx, "list history", s, where, maxSeq, limit)
}

// ListGroupMessages implements im.MessageStore.
func (db *DB) ListGroupMessages(ctx context.Context, app uint64, groupID string, maxSeq int64, limit int) ([]im.GroupMessage, error) {
	return db.ListHistory(ctx, im.MsgStream{AppID: app, GroupID: groupID}, maxSeq, limit, true)
}

// ListMessagesAfter implements im.MessageStore.
func (db *DB) ListMessagesAfter(ctx context.Context, s im.MsgStream, after int64, limit int) ([]im.GroupMessage, error) {
	return db.listGroupMessages(ctx, "list messages after", s, `msg_seq > ? ORDER BY msg_seq`, after, limit)
}

// ListGroupMessagesAfter implements im.StreamStore: ListMessagesAfter of
// the group's own stream.
func (db *DB) ListGroupMessagesAfter(ctx context.Context, app uint64, groupID string, after int64, limit int) ([]im.GroupMessage, error) {
	return db.ListMessagesAfter(ctx, im.MsgStream{AppID: app, GroupID: groupID}, after, limit)
}

// listGroupMessages reads a range of a stream's history; where bounds
// msg_seq by seq and orders the rows.
func (db *DB) listGroupMessages(ctx context.Context, op string, s im.MsgStream, where string, seq int64, limit int) ([]im.GroupMessage, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	if limit <= 0 {
		return nil, fmt.Errorf("store: %s: limit %d is not positive", op, limit)
	}
	sc := scopeOf(s)
	var out []im.GroupMessage
	rows, err := db.reader().query(ctx, `SELECT `+groupMessageColumns+` FROM `+sc.table+`
		WHERE `+sc.where+` AND `+where+` LIMIT ?`, sc.with(seq, limit)...)
	err = each(rows, err, func(r *sql.Rows) error {
		m, err := scanGroupMessage(r, s)
		out = append(out, m)
		return err
	})
	if err != nil {
		return nil, db.fail(op, err)
	}
	return out, nil
}

// GetGroupMessages implements im.MessageStore.
func (db *DB) GetGroupMessages(ctx context.Context, s im.MsgStream, seqs []int64) (map[int64]im.GroupMessage, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	out, err := getGroupMessages(ctx, db.reader(), s, seqs)
	if err != nil {
		return nil, db.fail("get group messages", err)
	}
	return out, nil
}

// getGroupMessages reads the listed messages of a stream on c (a
// transaction, or the read pool).
func getGroupMessages(ctx context.Context, c conn, s im.MsgStream, seqs []int64) (map[int64]im.GroupMessage, error) {
	sc := scopeOf(s)
	out := make(map[int64]im.GroupMessage, len(seqs))
	for len(seqs) > 0 {
		n := min(len(seqs), maxInList)
		args := sc.with()
		for _, seq := range seqs[:n] {
			args = append(args, seq)
		}
		rows, err := c.query(ctx, `SELECT `+groupMessageColumns+` FROM `+sc.table+`
			WHERE `+sc.where+` AND msg_seq IN (`+placeholders(n)+`)`, args...)
		err = each(rows, err, func(r *sql.Rows) error {
			m, err := scanGroupMessage(r, s)
			out[m.Seq] = m
			return err
		})
		if err != nil {
			return nil, err
		}
		seqs = seqs[n:]
	}
	return out, nil
}
