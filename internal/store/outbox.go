package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"

	"github.com/chatd/chatd/internal/im"
)

var _ im.OutboxStore = (*DB)(nil)

// outboxCols is how many values one webhook_outbox row takes.
const outboxCols = 8

const insertOutbox = `INSERT INTO webhook_outbox (ikey, owner, seq, app_id, lane, request, msg_seq, msg_time) VALUES `

// outboxValues appends one row's values.
func outboxValues(values []any, cb *im.Callback) []any {
	return append(values, cb.Key, cb.Owner, cb.Seq, appID(cb.AppID), cb.Lane, string(cb.Request), cb.MsgSeq, cb.MsgTime)
}

// insertCallbacks stores the callbacks of a CommitStream batch's writes
// that were committed (not failed, not duplicates), with one multi-row
// INSERT; a group message's callbacks get the MsgSeq and MsgTime it took.
// A batch without callbacks costs nothing.
func (tx *streamTx) insertCallbacks(ctx context.Context) error {
	var values []any
	for i, w := range tx.writes {
		if len(w.Callbacks) == 0 || tx.failed(i) {
			continue
		}
		for _, cb := range w.Callbacks {
			if w.Group != nil {
				cb.MsgSeq, cb.MsgTime = tx.results[i].GroupSeq, tx.results[i].GroupTime
			}
			values = outboxValues(values, &cb)
		}
	}
	return tx.insertRows(ctx, insertOutbox, outboxCols, values, "", nil)
}

// countUnread sets the Unread result of every committed write whose
// callbacks name a user (Callback.UnreadOf), on an engine that counts in
// the commit (Dialect.CountInCommit): the user's unread one-to-one total
// as the batch's conversation upkeep left it, the sum that
// CountC2CUnreadTotal reads. One query per app and batch answers all, so
// a callback needs no read of its own when it is sent.
func (tx *streamTx) countUnread(ctx context.Context) error {
	if !tx.c.d.CountInCommit {
		return nil
	}
	type user struct {
		app  uint64
		name string
	}
	var wants map[user][]int
	for i, w := range tx.writes {
		if tx.failed(i) {
			continue
		}
		for _, cb := range w.Callbacks {
			if cb.UnreadOf != "" {
				if wants == nil {
					wants = map[user][]int{}
				}
				u := user{w.AppID, cb.UnreadOf}
				wants[u] = append(wants[u], i)
				tx.results[i].UnreadCounted = true // 0 when the user has no row
				break
			}
		}
	}
	if len(wants) == 0 {
		return nil
	}
	byApp := map[uint64][]string{}
	for u := range wants {
		byApp[u.app] = append(byApp[u.app], u.name)
	}
	for app, names := range byApp {
		// Padded (ladderChunks): one statement text per batch size would
		// make PostgreSQL prepare anew for most commits.
		for _, chunk := range ladderChunks(names) {
			rows, err := tx.c.query(ctx, `SELECT owner, COALESCE(SUM(unread), 0) FROM conversations
				WHERE app_id = ? AND conv_type = 1 AND owner IN (`+placeholders(len(chunk))+`) GROUP BY owner`,
				withIDs(chunk, appID(app))...)
			err = each(rows, err, func(r *sql.Rows) error {
				var name string
				var n int64
				if err := r.Scan(&name, &n); err != nil {
					return err
				}
				for _, i := range wants[user{app, name}] {
					tx.results[i].Unread = n
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// AppendCallbacks implements im.OutboxStore.
func (db *DB) AppendCallbacks(ctx context.Context, cbs []im.Callback) error {
	if len(cbs) == 0 {
		return nil
	}
	ctx, cancel := db.bound(ctx)
	defer cancel()
	values := make([]any, 0, len(cbs)*outboxCols)
	for i := range cbs {
		values = outboxValues(values, &cbs[i])
	}
	err := db.inTx(ctx, func(c conn) error {
		tx := &streamTx{c: c}
		return tx.insertRows(ctx, insertOutbox, outboxCols, values, "", nil)
	})
	if err != nil {
		return db.fail("append callbacks", err)
	}
	return nil
}

// DeleteCallbacks implements im.OutboxStore.
func (db *DB) DeleteCallbacks(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.inTx(ctx, func(c conn) error {
		for _, chunk := range ladderChunks(keys) { // padded, as in countUnread
			q := `DELETE FROM webhook_outbox WHERE ikey IN (` + placeholders(len(chunk)) + `)`
			if _, err := c.exec(ctx, q, withIDs(chunk)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.fail("delete callbacks", err)
	}
	return nil
}

// RenewOutboxLease implements im.OutboxStore.
func (db *DB) RenewOutboxLease(ctx context.Context, node string, until int64) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.inTx(ctx, func(c conn) error {
		_, err := c.exec(ctx, `INSERT INTO webhook_nodes (node, expires) VALUES (?, ?)
			ON CONFLICT (node) DO UPDATE SET expires = excluded.expires`, node, until)
		return err
	})
	if err != nil {
		return db.fail("renew outbox lease", err)
	}
	return nil
}

// ReleaseOutboxLease implements im.OutboxStore.
func (db *DB) ReleaseOutboxLease(ctx context.Context, node string) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.inTx(ctx, func(c conn) error {
		_, err := c.exec(ctx, `DELETE FROM webhook_nodes WHERE node = ?`, node)
		return err
	})
	if err != nil {
		return db.fail("release outbox lease", err)
	}
	return nil
}

// TakeOverCallbacks implements im.OutboxStore. The UPDATE decides, row by
// row, against the leases as its transaction sees them: two nodes taking
// over at once each get distinct rows (PostgreSQL re-checks a row another
// UPDATE changed first, and then finds it owned by a live node).
func (db *DB) TakeOverCallbacks(ctx context.Context, node string, now int64) ([]im.Callback, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out []im.Callback
	err := db.inTx(ctx, func(c conn) error {
		out = out[:0]
		rows, err := c.query(ctx, `UPDATE webhook_outbox SET owner = ? WHERE owner <> ?
			AND owner NOT IN (SELECT node FROM webhook_nodes WHERE expires > ?)
			RETURNING ikey, owner, seq, app_id, lane, request, msg_seq, msg_time`, node, node, now)
		err = each(rows, err, func(r *sql.Rows) error {
			var cb im.Callback
			var app int64
			var req string
			if err := r.Scan(&cb.Key, &cb.Owner, &cb.Seq, &app, &cb.Lane, &req, &cb.MsgSeq, &cb.MsgTime); err != nil {
				return err
			}
			cb.AppID, cb.Request = uint64(app), []byte(req)
			out = append(out, cb)
			return nil
		})
		if err != nil {
			return err
		}
		_, err = c.exec(ctx, `DELETE FROM webhook_nodes WHERE expires <= ? AND node <> ?`, now, node)
		return err
	})
	if err != nil {
		return nil, db.fail("take over callbacks", err)
	}
	// Seq orders one writer's rows; rows of several dead nodes interleave
	// by Seq, which is a time.
	slices.SortStableFunc(out, func(a, b im.Callback) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}
