package store

import (
	"context"
	"database/sql"
	"slices"

	"github.com/chatd/chatd/internal/im"
)

// Changes of stored group messages. Each runs in one transaction with the
// events about it (commitStreamIn): the message rows are locked first,
// then the stream counters, as commitStreamIn requires.

// recalledBody is the MsgBody a recalled message keeps: none.
const recalledBody = `[]`

// RecallGroupMessages implements im.MessageStore.
func (db *DB) RecallGroupMessages(ctx context.Context, s im.MsgStream, seqs []int64, decide func(m *im.GroupMessage) error,
	events func(recalled []int64) im.StreamWrite) ([]error, *im.Committed, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	results := make([]error, len(seqs))
	var done *im.Committed
	err := db.inTx(ctx, func(c conn) error {
		if err := lockMessages(ctx, c, s, seqs); err != nil {
			return err
		}
		msgs, err := getGroupMessages(ctx, c, s, seqs)
		if err != nil {
			return err
		}
		var recalled []int64
		for i, seq := range seqs {
			m, ok := msgs[seq]
			switch {
			case !ok:
				results[i] = im.ErrNotFound
			case slices.Contains(recalled, seq):
				// Listed twice: recalled by the first.
			default:
				if results[i] = decide(&m); results[i] == nil {
					recalled = append(recalled, seq)
				}
			}
		}
		if len(recalled) == 0 {
			return nil
		}
		if err := markRecalled(ctx, c, s, recalled); err != nil {
			return err
		}
		done, err = commitEvents(ctx, c, events(recalled))
		return err
	})
	if err != nil {
		return nil, nil, db.fail("recall group messages", err)
	}
	return results, done, nil
}

// RecallBySender implements im.MessageStore.
func (db *DB) RecallBySender(ctx context.Context, s im.MsgStream, sender string, scan int,
	events func(recalled []int64) im.StreamWrite) ([]int64, *im.Committed, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	sc := scopeOf(s)
	var recalled []int64
	var done *im.Committed
	err := db.inTx(ctx, func(c conn) error {
		var floor sql.NullInt64
		if err := c.queryRow(ctx, `SELECT MIN(msg_seq) FROM (SELECT msg_seq FROM `+sc.table+` WHERE `+sc.where+`
			ORDER BY msg_seq DESC LIMIT ?) newest`, sc.with(scan)...).Scan(&floor); err != nil || !floor.Valid {
			return err
		}
		rows, err := c.query(ctx, `UPDATE `+sc.table+` SET recalled = TRUE, msg_body = ?, cloud_custom_data = ?
			WHERE `+sc.where+` AND from_account = ? AND msg_seq >= ? AND NOT recalled RETURNING msg_seq`,
			append([]any{recalledBody, []byte{}}, sc.with(sender, floor.Int64)...)...)
		err = each(rows, err, func(r *sql.Rows) error {
			var seq int64
			err := r.Scan(&seq)
			recalled = append(recalled, seq)
			return err
		})
		if err != nil || len(recalled) == 0 {
			return err
		}
		slices.Sort(recalled)
		done, err = commitEvents(ctx, c, events(recalled))
		return err
	})
	if err != nil {
		return nil, nil, db.fail("recall by sender", err)
	}
	return recalled, done, nil
}

// ModifyGroupMessage implements im.MessageStore.
func (db *DB) ModifyGroupMessage(ctx context.Context, s im.MsgStream, seq int64, apply func(m *im.GroupMessage) error,
	events func(m *im.GroupMessage) im.StreamWrite) (*im.GroupMessage, *im.Committed, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	sc := scopeOf(s)
	var out *im.GroupMessage
	var done *im.Committed
	err := db.inTx(ctx, func(c conn) error {
		if err := lockMessages(ctx, c, s, []int64{seq}); err != nil {
			return err
		}
		m, err := scanGroupMessage(c.queryRow(ctx, `SELECT `+groupMessageColumns+` FROM `+sc.table+`
			WHERE `+sc.where+` AND msg_seq = ?`, sc.with(seq)...), s)
		if err != nil {
			return err
		}
		if err := apply(&m); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `UPDATE `+sc.table+` SET msg_body = ?, cloud_custom_data = ? WHERE `+sc.where+` AND msg_seq = ?`,
			append([]any{string(m.Body), []byte(m.CloudCustomData)}, sc.with(seq)...)...); err != nil {
			return err
		}
		out = &m
		done, err = commitEvents(ctx, c, events(&m))
		return err
	})
	if err != nil {
		return nil, nil, db.fail("modify group message", err)
	}
	return out, done, nil
}

// lockMessages takes the row locks of the listed messages (a no-op UPDATE;
// SQLite's write transaction holds the whole database already), so that
// what is read next stays true until the commit.
func lockMessages(ctx context.Context, c conn, s im.MsgStream, seqs []int64) error {
	sc := scopeOf(s)
	for len(seqs) > 0 {
		n := min(len(seqs), maxInList)
		args := sc.with()
		for _, seq := range seqs[:n] {
			args = append(args, seq)
		}
		if _, err := c.exec(ctx, `UPDATE `+sc.table+` SET recalled = recalled WHERE `+sc.where+`
			AND msg_seq IN (`+placeholders(n)+`)`, args...); err != nil {
			return err
		}
		seqs = seqs[n:]
	}
	return nil
}

// markRecalled marks messages recalled and drops their content.
func markRecalled(ctx context.Context, c conn, s im.MsgStream, seqs []int64) error {
	sc := scopeOf(s)
	for _, seq := range seqs {
		if _, err := c.exec(ctx, `UPDATE `+sc.table+` SET recalled = TRUE, msg_body = ?, cloud_custom_data = ?
			WHERE `+sc.where+` AND msg_seq = ?`, append([]any{recalledBody, []byte{}}, sc.with(seq)...)...); err != nil {
			return err
		}
	}
	return nil
}

// commitEvents commits the events of a change in its transaction. Their
// group being gone fails the change.
func commitEvents(ctx context.Context, c conn, w im.StreamWrite) (*im.Committed, error) {
	results, err := commitStreamIn(ctx, c, []im.StreamWrite{w})
	if err != nil {
		return nil, err
	}
	if results[0].Err != nil {
		return nil, results[0].Err
	}
	return &im.Committed{Write: w, Result: results[0]}, nil
}
