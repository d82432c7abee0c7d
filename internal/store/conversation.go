package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/chatd/chatd/internal/im"
)

var _ im.ConversationStore = (*DB)(nil)

// convRowKey is one one-to-one conversation row.
type convRowKey struct {
	app         int64
	owner, peer string
}

// convUpkeep is what a batch does to one row: the latest message it
// brings (time 0: none that may become the last message) and the
// messages that count as unread, with the earliest of their times.
type convUpkeep struct {
	time        int64
	key, from   string
	unread      int64
	unreadSince int64
}

// keepConversations is the conversation upkeep of a CommitStream batch:
// one multi-row upsert of the one-to-one rows of both sides of every
// stored message (time, last message, the recipient's unread count). It
// runs after insert, so duplicates and failed writes are known and skipped.
//
// A message counts as unread for its recipient as the unread count of
// c2c_read.go does: not FlagNoUnread (NoUnread, MsgLifeTime 0, historical
// imports), not hidden from the recipient, not to oneself, and later than
// the recipient's read mark, which the upsert reads per row (a primary-key
// lookup). Online-only messages are not stored and change nothing;
// NoLastMsg ones count as unread but leave the time and last message.
func (tx *streamTx) keepConversations(ctx context.Context) error {
	if ctx.Value(noUpkeepKey{}) != nil {
		return nil
	}
	var rows map[convRowKey]*convUpkeep
	add := func(k convRowKey, m *im.C2CMessage, unread bool) {
		if rows == nil {
			rows = map[convRowKey]*convUpkeep{}
		}
		r := rows[k]
		if r == nil {
			r = &convUpkeep{}
			rows[k] = r
		}
		if m.FlagBits&im.FlagNoLastMsg == 0 && m.Time >= r.time {
			r.time, r.key, r.from = m.Time, m.Key(), m.From
		}
		if unread {
			if r.unread == 0 || m.Time < r.unreadSince {
				r.unreadSince = m.Time
			}
			r.unread++
		}
	}
	for i, w := range tx.writes {
		if tx.failed(i) || w.C2C == nil || !w.C2C.Keep {
			continue
		}
		m := &w.C2C.Msg
		a := appID(w.AppID)
		if !m.HiddenFromSender {
			add(convRowKey{a, m.From, m.To}, m, false)
		}
		if m.From != m.To && !m.HiddenFromRecipient {
			add(convRowKey{a, m.To, m.From}, m, m.FlagBits&notUnread == 0)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	// Rows in key order, so two nodes' batches lock them in one order.
	keys := make([]convRowKey, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b convRowKey) int {
		return cmp.Or(cmp.Compare(a.app, b.app), strings.Compare(a.owner, b.owner), strings.Compare(a.peer, b.peer))
	})
	args := make([]any, 0, len(keys)*convUpkeepCols)
	for _, k := range keys {
		r := rows[k]
		args = append(args, k.app, k.owner, k.peer, r.time, r.key, r.from, r.unreadSince, k.app, k.owner, k.peer, r.unread)
	}
	return tx.insertRowsAs(ctx, `INSERT INTO conversations (app_id, owner, conv_type, peer, msg_time, last_msg_key, last_from, unread) VALUES `,
		convUpkeepRow, convUpkeepCols, args, convUpkeepConflict, nil)
}

// convUpkeepRow is one row of the upkeep's upsert: the unread messages it
// brings count only if they are later than the owner's read mark (with
// none, the count is 0 either way). One form for every row, so the
// statement's text depends on the row count alone.
const (
	convUpkeepRow = `(?, ?, 1, ?, ?, ?, ?, CASE WHEN ? > COALESCE((SELECT read_time FROM c2c_read
		WHERE app_id = ? AND reader = ? AND peer = ?), -1) THEN ? ELSE 0 END)`
	convUpkeepCols     = 11
	convUpkeepConflict = ` ON CONFLICT (app_id, owner, conv_type, peer) DO UPDATE SET
		last_msg_key = CASE WHEN excluded.msg_time >= conversations.msg_time THEN excluded.last_msg_key ELSE conversations.last_msg_key END,
		last_from = CASE WHEN excluded.msg_time >= conversations.msg_time THEN excluded.last_from ELSE conversations.last_from END,
		msg_time = CASE WHEN excluded.msg_time >= conversations.msg_time THEN excluded.msg_time ELSE conversations.msg_time END,
		unread = conversations.unread + excluded.unread`
)

// noUpkeepKey marks a context under which CommitStream skips the
// conversation upkeep.
type noUpkeepKey struct{}

// WithoutConversationUpkeep returns a context under which CommitStream
// does not keep conversations: the baseline of `bench conversations`,
// which measures what the upkeep costs a send. Nothing else may use it
// (the conversation list would miss the messages).
func WithoutConversationUpkeep(ctx context.Context) context.Context {
	return context.WithValue(ctx, noUpkeepKey{}, true)
}

// refreshC2CUnread sets reader's unread count of the conversation with
// peer from the messages (one range of the conversation after the read
// mark): after the mark moved, or a message changed (a recall).
func refreshC2CUnread(ctx context.Context, c conn, app uint64, reader, peer string) error {
	_, err := c.exec(ctx, `UPDATE conversations SET unread = (`+unreadInConversation+`)
		WHERE app_id = ? AND owner = ? AND conv_type = 1 AND peer = ?`,
		append(unreadArgs(app, reader, peer), appID(app), reader, peer)...)
	return err
}

// groupConvColumns read a group conversation from a membership m, its
// group g and the owner's row c (when any).
const groupConvColumns = `SELECT g.group_id, g.group_type, g.last_msg_time, g.next_msg_seq, m.msg_seq,
	COALESCE(c.pinned, FALSE)
	FROM group_members m JOIN groups g ON g.app_id = m.app_id AND g.group_id = m.group_id
	LEFT JOIN conversations c ON c.app_id = m.app_id AND c.owner = m.user_id AND c.conv_type = 2 AND c.peer = m.group_id
	WHERE m.app_id = ? AND m.user_id = ? AND g.group_type <> 'AVChatRoom'
	AND (c.peer IS NULL OR g.next_msg_seq - 1 > c.hidden_seq)`

func scanGroupConv(r interface{ Scan(...any) error }) (im.Conversation, error) {
	var c im.Conversation
	var typ string
	var next, read int64
	if err := r.Scan(&c.Peer, &typ, &c.MsgTime, &next, &read, &c.Pinned); err != nil {
		return c, err
	}
	c.Type = im.ConvGroup
	c.LastSeq = max(next-1, 0)
	if t := im.GroupType(typ); t != im.GroupChatRoom && t != im.GroupAVChatRoom {
		c.Unread = max(c.LastSeq-read, 0)
	}
	return c, nil
}

// c2cConvColumns read a one-to-one conversation row c.
const c2cConvColumns = `SELECT c.peer, c.msg_time, c.pinned, c.unread, c.last_msg_key, c.last_from FROM conversations c`

func scanC2CConv(r interface{ Scan(...any) error }) (im.Conversation, error) {
	c := im.Conversation{ConvKey: im.ConvKey{Type: im.ConvC2C}}
	err := r.Scan(&c.Peer, &c.MsgTime, &c.Pinned, &c.Unread, &c.LastMsgKey, &c.LastFrom)
	return c, err
}

// ListConversations implements im.ConversationStore. One-to-one
// conversations are one range of conversations_by_time; group ones are
// the owner's memberships (bounded by the groups one may join) ordered by
// their groups' last message time.
func (db *DB) ListConversations(ctx context.Context, q im.ConvListQuery, convType int) ([]im.Conversation, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out []im.Conversation
	// Both kinds are one query of the same shape over their own columns.
	src := struct{ from, unpinned, time, order string }{
		c2cConvColumns + ` WHERE c.app_id = ? AND c.owner = ? AND c.conv_type = 1`, `c.pinned = FALSE`, `c.msg_time`, `c.peer`}
	if convType == im.ConvGroup {
		src.from, src.unpinned, src.time, src.order = groupConvColumns, `NOT COALESCE(c.pinned, FALSE)`, `g.last_msg_time`, `g.group_id`
	}
	text := src.from
	args := []any{appID(q.AppID), q.Owner}
	if !q.WithPinned {
		text += ` AND ` + src.unpinned
	}
	if !q.WithEmpty {
		text += ` AND ` + src.time + ` > 0`
	}
	if q.After != (im.ConvCursor{}) {
		text += ` AND ` + src.time + ` <= ?`
		args = append(args, q.After.Time)
	}
	// Each pin state of the one-to-one rows is one range of
	// conversations_by_time, read backwards.
	text += ` ORDER BY ` + src.time + ` DESC, ` + src.order + ` DESC LIMIT ?`
	args = append(args, q.Limit)
	rows, err := db.reader().query(ctx, text, args...)
	err = each(rows, err, func(r *sql.Rows) error {
		var c im.Conversation
		var err error
		if convType == im.ConvC2C {
			c, err = scanC2CConv(r)
		} else {
			c, err = scanGroupConv(r)
		}
		out = append(out, c)
		return err
	})
	if err != nil {
		return nil, db.fail("list conversations", err)
	}
	return out, nil
}

// ListPinnedConversations implements im.ConversationStore.
func (db *DB) ListPinnedConversations(ctx context.Context, app uint64, owner string, withEmpty bool) ([]im.Conversation, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out []im.Conversation
	rows, err := db.reader().query(ctx, c2cConvColumns+` WHERE c.app_id = ? AND c.owner = ? AND c.conv_type = 1 AND c.pinned = TRUE`, appID(app), owner)
	err = each(rows, err, func(r *sql.Rows) error {
		c, err := scanC2CConv(r)
		out = append(out, c)
		return err
	})
	if err == nil {
		rows, err = db.reader().query(ctx, groupConvColumns+` AND c.pinned = TRUE`, appID(app), owner)
		err = each(rows, err, func(r *sql.Rows) error {
			c, err := scanGroupConv(r)
			out = append(out, c)
			return err
		})
	}
	if err != nil {
		return nil, db.fail("list pinned conversations", err)
	}
	if !withEmpty {
		out = slices.DeleteFunc(out, func(c im.Conversation) bool { return c.MsgTime == 0 })
	}
	SortConversations(out)
	return out, nil
}

// SortConversations orders a list as pages show it: newest first, then
// one-to-one before group, then by peer, descending as the index is read.
func SortConversations(list []im.Conversation) {
	slices.SortStableFunc(list, CompareConversations)
}

// CompareConversations is SortConversations' order.
func CompareConversations(a, b im.Conversation) int {
	return cmp.Or(cmp.Compare(b.MsgTime, a.MsgTime), cmp.Compare(a.Type, b.Type), strings.Compare(b.Peer, a.Peer))
}

// GetConversation implements im.ConversationStore.
func (db *DB) GetConversation(ctx context.Context, app uint64, owner string, key im.ConvKey) (im.Conversation, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var c im.Conversation
	var err error
	if key.Type == im.ConvC2C {
		c, err = scanC2CConv(db.reader().queryRow(ctx, c2cConvColumns+` WHERE c.app_id = ? AND c.owner = ? AND c.conv_type = 1 AND c.peer = ?`,
			appID(app), owner, key.Peer))
	} else {
		c, err = scanGroupConv(db.reader().queryRow(ctx, groupConvColumns+` AND m.group_id = ?`, appID(app), owner, key.Peer))
	}
	if err != nil {
		return c, db.fail("get conversation", err)
	}
	return c, nil
}

// PinConversation implements im.ConversationStore. A pinned one-to-one
// conversation without messages gets a row of its own (time 0).
func (db *DB) PinConversation(ctx context.Context, app uint64, owner string, key im.ConvKey, pinned bool, maxPinned int) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.inTx(ctx, func(c conn) error {
		if pinned {
			var n int
			if err := c.queryRow(ctx, `SELECT COUNT(*) FROM conversations WHERE app_id = ? AND owner = ? AND pinned = TRUE AND NOT (conv_type = ? AND peer = ?)`,
				appID(app), owner, key.Type, key.Peer).Scan(&n); err != nil {
				return err
			}
			if n >= maxPinned {
				return im.Errorf(im.CodeConvTooManyPinned, "%s has %d pinned conversations, at most %d", owner, n, maxPinned)
			}
		}
		_, err := c.exec(ctx, `INSERT INTO conversations (app_id, owner, conv_type, peer, pinned) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (app_id, owner, conv_type, peer) DO UPDATE SET pinned = excluded.pinned`,
			appID(app), owner, key.Type, key.Peer, pinned)
		return err
	})
	if err != nil {
		return db.fail("pin conversation", err)
	}
	return nil
}

// DeleteConversation implements im.ConversationStore. A one-to-one row
// goes (the next message brings it back) and the read mark moves to its
// last message, so the messages before stay read; with clearHistory the
// owner's side of the history is hidden too. A group conversation is
// hidden up to the group's current MsgSeq and read to it. Rows are locked
// in the commit path's order: messages and memberships before
// conversation rows.
func (db *DB) DeleteConversation(ctx context.Context, app uint64, owner string, key im.ConvKey, clearHistory bool) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(app)
	err := db.inTx(ctx, func(c conn) error {
		if key.Type == im.ConvGroup {
			var head int64
			err := c.queryRow(ctx, `SELECT next_msg_seq - 1 FROM groups WHERE app_id = ? AND group_id = ?`, a, key.Peer).Scan(&head)
			if errors.Is(err, sql.ErrNoRows) {
				_, err = c.exec(ctx, `DELETE FROM conversations WHERE app_id = ? AND owner = ? AND conv_type = 2 AND peer = ?`, a, owner, key.Peer)
				return err
			}
			if err != nil {
				return err
			}
			if _, err := c.exec(ctx, `UPDATE group_members SET msg_seq = ? WHERE app_id = ? AND group_id = ? AND user_id = ? AND msg_seq < ?`,
				head, a, key.Peer, owner, head); err != nil {
				return err
			}
			_, err = c.exec(ctx, `INSERT INTO conversations (app_id, owner, conv_type, peer, hidden_seq) VALUES (?, ?, 2, ?, ?)
				ON CONFLICT (app_id, owner, conv_type, peer) DO UPDATE SET hidden_seq = excluded.hidden_seq, pinned = FALSE`,
				a, owner, key.Peer, head)
			return err
		}
		if clearHistory {
			lo, hi := conversation(owner, key.Peer)
			if _, err := c.exec(ctx, `UPDATE c2c_messages SET hidden_from_sender = TRUE
				WHERE app_id = ? AND user_lo = ? AND user_hi = ? AND from_account = ? AND NOT hidden_from_sender`, a, lo, hi, owner); err != nil {
				return err
			}
			if _, err := c.exec(ctx, `UPDATE c2c_messages SET hidden_from_recipient = TRUE
				WHERE app_id = ? AND user_lo = ? AND user_hi = ? AND to_account = ? AND NOT hidden_from_recipient`, a, lo, hi, owner); err != nil {
				return err
			}
		}
		var last int64
		err := c.queryRow(ctx, `SELECT msg_time FROM conversations WHERE app_id = ? AND owner = ? AND conv_type = 1 AND peer = ?`,
			a, owner, key.Peer).Scan(&last)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return err
		}
		if last > 0 {
			if _, err := c.exec(ctx, `INSERT INTO c2c_read (app_id, reader, peer, read_time) VALUES (?, ?, ?, ?)
				ON CONFLICT (app_id, reader, peer) DO UPDATE SET read_time = excluded.read_time
				WHERE c2c_read.read_time < excluded.read_time`, a, owner, key.Peer, last); err != nil {
				return err
			}
		}
		_, err = c.exec(ctx, `DELETE FROM conversations WHERE app_id = ? AND owner = ? AND conv_type = 1 AND peer = ?`, a, owner, key.Peer)
		return err
	})
	if err != nil {
		return db.fail("delete conversation", err)
	}
	return nil
}

// SetGroupUnread implements im.ConversationStore: the read position
// becomes the group's last MsgSeq minus the count.
func (db *DB) SetGroupUnread(ctx context.Context, app uint64, groupID, userID string, unread int64) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.inTx(ctx, func(c conn) error {
		var head int64
		if err := c.queryRow(ctx, `SELECT next_msg_seq - 1 FROM groups WHERE app_id = ? AND group_id = ?`, appID(app), groupID).Scan(&head); err != nil {
			return err
		}
		head = max(head, 0)
		return c.queryRow(ctx, `UPDATE group_members SET msg_seq = ? WHERE app_id = ? AND group_id = ? AND user_id = ? RETURNING msg_seq`,
			head-min(max(unread, 0), head), appID(app), groupID, userID).Scan(new(int64))
	})
	if err != nil {
		return db.fail("set group unread", err)
	}
	return nil
}

// ListC2CUnread implements im.ConversationStore.
func (db *DB) ListC2CUnread(ctx context.Context, app uint64, owner string) (map[string]int64, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	out := map[string]int64{}
	rows, err := db.reader().query(ctx, `SELECT peer, unread FROM conversations WHERE app_id = ? AND owner = ? AND conv_type = 1 AND unread > 0`,
		appID(app), owner)
	err = each(rows, err, func(r *sql.Rows) error {
		var p string
		var n int64
		if err := r.Scan(&p, &n); err != nil {
			return err
		}
		out[p] = n
		return nil
	})
	if err != nil {
		return nil, db.fail("list c2c unread", err)
	}
	return out, nil
}
