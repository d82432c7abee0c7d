package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/chatd/chatd/internal/im"
)

var _ im.MsgExtStore = (*DB)(nil)

// extTarget is where a message's extensions are kept: the message's table
// and its pairs table, keyed by the message's primary key.
type extTarget struct {
	messages string
	pairs    string
	// key is "col = ? AND ..." over the message key columns, which the
	// pairs table shares; args are their values.
	key  string
	args []any
	// head selects the sender and the addressees (a group message's
	// to_accounts, "" for a one-to-one message) before the head columns;
	// sender restricts the message row to the right direction.
	head   string
	sender string
	// group is the group whose row a group message's write locks first.
	group string
}

func targetOf(ref im.MsgRef) extTarget {
	if ref.GroupID != "" {
		return extTarget{
			messages: "group_messages", pairs: "group_msg_exts",
			key:  "app_id = ? AND group_id = ? AND msg_seq = ?",
			args: []any{appID(ref.AppID), ref.GroupID, ref.MsgSeq},
			head: "from_account, to_accounts", group: ref.GroupID,
		}
	}
	lo, hi := conversation(ref.From, ref.To)
	return extTarget{
		messages: "c2c_messages", pairs: "c2c_msg_exts",
		key:  "app_id = ? AND user_lo = ? AND user_hi = ? AND msg_time = ? AND msg_seq = ? AND msg_random = ?",
		args: []any{appID(ref.AppID), lo, hi, ref.Key.Time, int64(ref.Key.Seq), int64(ref.Key.Random)},
		head: "from_account, ''", sender: ref.From,
	}
}

// columns lists the key columns, for inserts.
func (t extTarget) columns() string {
	return strings.NewReplacer(" = ?", "", " AND", ",").Replace(t.key)
}

// messageWhere restricts the message table to the message.
func (t extTarget) messageWhere() (string, []any) {
	if t.sender == "" {
		return t.key, t.args
	}
	return t.key + " AND from_account = ?", append(append([]any{}, t.args...), t.sender)
}

// headColumns are what scanExtHead reads, in its order.
func (t extTarget) headColumns() string {
	return `support_ext, ` + t.head + `, ext_latest_seq, ext_clear_seq, ext_window_start, ext_window_writes`
}

// scanExtHead reads headColumns, and the pair count after them when
// withPairs is set.
func scanExtHead(r interface{ Scan(...any) error }, withPairs bool) (im.MsgExtHead, error) {
	var h im.MsgExtHead
	var to string
	dest := []any{&h.SupportExtension, &h.From, &to, &h.LatestSeq, &h.ClearSeq, &h.WindowStart, &h.WindowWrites}
	if withPairs {
		dest = append(dest, &h.Pairs)
	}
	if err := r.Scan(dest...); err != nil {
		return h, err
	}
	var err error
	h.To, err = decodeIDs(to)
	return h, err
}

func scanExts(rows *sql.Rows, err error, fn func(im.MsgExt)) error {
	return each(rows, err, func(r *sql.Rows) error {
		var e im.MsgExt
		var value []byte
		if err := r.Scan(&e.Key, &value, &e.Seq); err != nil {
			return err
		}
		e.Value = string(value)
		fn(e)
		return nil
	})
}

// ListMsgExts implements im.MsgExtStore.
func (db *DB) ListMsgExts(ctx context.Context, ref im.MsgRef, startSeq int64, limit int) ([]im.MsgExt, im.MsgExtHead, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	t := targetOf(ref)
	var out []im.MsgExt
	rows, err := db.reader().query(ctx, `SELECT ext_key, ext_value, seq FROM `+t.pairs+` WHERE `+t.key+` AND seq >= ?
		ORDER BY seq LIMIT ?`, append(append([]any{}, t.args...), startSeq, limit)...)
	err = scanExts(rows, err, func(e im.MsgExt) { out = append(out, e) })
	if err != nil {
		return nil, im.MsgExtHead{}, db.fail("list message extensions", err)
	}
	where, args := t.messageWhere()
	h, err := scanExtHead(db.reader().queryRow(ctx, `SELECT `+t.headColumns()+`,
		(SELECT COUNT(*) FROM `+t.pairs+` WHERE `+t.key+`) FROM `+t.messages+` WHERE `+where,
		append(append([]any{}, t.args...), args...)...), true)
	if err != nil {
		return nil, im.MsgExtHead{}, db.fail("list message extensions", err)
	}
	return out, h, nil
}

// WriteMsgExts implements im.MsgExtStore. The rows are locked in
// CommitStream's order (store/stream.go): a group message's group first,
// then the message, then the counters the events take.
func (db *DB) WriteMsgExts(ctx context.Context, ref im.MsgRef, keys []string, apply func(im.MsgExtHead, map[string]im.MsgExt) (*im.MsgExtChange, error)) (im.StreamResult, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	t := targetOf(ref)
	var result im.StreamResult
	err := db.inTx(ctx, func(c conn) error {
		if t.group != "" {
			if err := c.queryRow(ctx, `UPDATE groups SET event_seq = event_seq WHERE app_id = ? AND group_id = ? RETURNING app_id`,
				appID(ref.AppID), t.group).Scan(new(int64)); err != nil {
				return err
			}
		}
		where, args := t.messageWhere()
		h, err := scanExtHead(c.queryRow(ctx, `UPDATE `+t.messages+` SET ext_window_writes = ext_window_writes
			WHERE `+where+` RETURNING `+t.headColumns(), args...), false)
		if err != nil {
			return err
		}
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM `+t.pairs+` WHERE `+t.key, t.args...).Scan(&h.Pairs); err != nil {
			return err
		}
		current := map[string]im.MsgExt{}
		if len(keys) > 0 {
			rows, err := c.query(ctx, `SELECT ext_key, ext_value, seq FROM `+t.pairs+` WHERE `+t.key+`
				AND ext_key IN (`+placeholders(len(keys))+`)`, withIDs(keys, t.args...)...)
			if err := scanExts(rows, err, func(e im.MsgExt) { current[e.Key] = e }); err != nil {
				return err
			}
		}
		change, err := apply(h, current)
		if err != nil {
			return err
		}
		result, err = t.store(ctx, c, change)
		return err
	})
	if err != nil {
		return im.StreamResult{}, db.fail("write message extensions", err)
	}
	return result, nil
}

// store writes a change to a locked message and commits its events.
func (t extTarget) store(ctx context.Context, c conn, ch *im.MsgExtChange) (im.StreamResult, error) {
	h := ch.Head
	if _, err := c.exec(ctx, `UPDATE `+t.messages+` SET ext_latest_seq = ?, ext_clear_seq = ?, ext_window_start = ?,
		ext_window_writes = ? WHERE `+t.key, append([]any{h.LatestSeq, h.ClearSeq, h.WindowStart, h.WindowWrites}, t.args...)...); err != nil {
		return im.StreamResult{}, err
	}
	if ch.Clear {
		if _, err := c.exec(ctx, `DELETE FROM `+t.pairs+` WHERE `+t.key, t.args...); err != nil {
			return im.StreamResult{}, err
		}
	}
	if len(ch.Delete) > 0 {
		if _, err := c.exec(ctx, `DELETE FROM `+t.pairs+` WHERE `+t.key+` AND ext_key IN (`+placeholders(len(ch.Delete))+`)`,
			withIDs(ch.Delete, t.args...)...); err != nil {
			return im.StreamResult{}, err
		}
	}
	cols := t.columns()
	for _, e := range ch.Set {
		if _, err := c.exec(ctx, `INSERT INTO `+t.pairs+` (`+cols+`, ext_key, ext_value, seq)
			VALUES (`+placeholders(len(t.args)+3)+`) ON CONFLICT (`+cols+`, ext_key)
			DO UPDATE SET ext_value = excluded.ext_value, seq = excluded.seq`,
			append(append([]any{}, t.args...), e.Key, append([]byte{}, e.Value...), e.Seq)...); err != nil {
			return im.StreamResult{}, err
		}
	}
	if len(ch.Events.UserEvents) == 0 && len(ch.Events.GroupEvents) == 0 {
		return im.StreamResult{}, nil
	}
	results, err := commitStreamIn(ctx, c, []im.StreamWrite{ch.Events})
	if err != nil {
		return im.StreamResult{}, err
	}
	if results[0].Err != nil {
		return im.StreamResult{}, results[0].Err
	}
	return results[0], nil
}
