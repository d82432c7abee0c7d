package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/chatd/chatd/internal/im"
)

// notUnread are the flag bits that keep a message out of unread counts.
const notUnread = im.MsgRecalled | im.FlagNoUnread

// unreadWhere selects the messages from m.from_account to m.to_account
// that count as unread under the read mark r (im/c2c.go); a conversation
// with oneself has none.
const unreadWhere = ` m.msg_time > COALESCE(r.read_time, -1) AND (m.flag_bits & ?) = 0
	AND NOT m.hidden_from_recipient AND m.from_account <> m.to_account`

// unreadInConversation counts reader's unread messages from peer: one range
// of the conversation's key, after the mark.
const unreadInConversation = `SELECT COUNT(*)` + c2cFrom + `
	WHERE m.app_id = ? AND m.user_lo = ? AND m.user_hi = ? AND m.from_account = ? AND m.to_account = ? AND` + unreadWhere

func unreadArgs(app uint64, reader, peer string) []any {
	lo, hi := conversation(reader, peer)
	return []any{appID(app), lo, hi, peer, reader, notUnread}
}

// MarkC2CRead implements im.C2CStore: one upsert that only moves the mark
// forward, the count under the new mark, and the events, in one
// transaction.
func (db *DB) MarkC2CRead(ctx context.Context, mark im.C2CReadMark) (im.C2CReadResult, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out im.C2CReadResult
	err := db.inTx(ctx, func(tx conn) error {
		err := tx.queryRow(ctx, `INSERT INTO c2c_read (app_id, reader, peer, read_time) VALUES (?, ?, ?, ?)
			ON CONFLICT (app_id, reader, peer) DO UPDATE SET read_time = excluded.read_time
			WHERE c2c_read.read_time < excluded.read_time RETURNING read_time`,
			appID(mark.AppID), mark.Reader, mark.Peer, mark.Time).Scan(&out.Time)
		switch {
		case err == nil:
			out.Advanced = true
		case errors.Is(err, sql.ErrNoRows):
			if err := tx.queryRow(ctx, `SELECT read_time FROM c2c_read WHERE app_id = ? AND reader = ? AND peer = ?`,
				appID(mark.AppID), mark.Reader, mark.Peer).Scan(&out.Time); err != nil {
				return err
			}
		default:
			return err
		}
		if err := tx.queryRow(ctx, unreadInConversation, unreadArgs(mark.AppID, mark.Reader, mark.Peer)...).Scan(&out.Unread); err != nil {
			return err
		}
		if !out.Advanced {
			return nil
		}
		out.Write = mark.Events(out.Unread)
		results, err := commitStreamIn(ctx, tx, []im.StreamWrite{out.Write})
		if err != nil {
			return err
		}
		out.Result = results[0]
		// The conversation row last: CommitStream locks accounts before
		// conversations.
		_, err = tx.exec(ctx, `UPDATE conversations SET unread = ? WHERE app_id = ? AND owner = ? AND conv_type = 1 AND peer = ?`,
			out.Unread, appID(mark.AppID), mark.Reader, mark.Peer)
		return err
	})
	if err != nil {
		return im.C2CReadResult{}, db.fail("mark c2c read", err)
	}
	return out, nil
}

// CountC2CUnread implements im.C2CStore: the counts kept in the
// conversation rows (store/conversation.go), a point read per peer.
func (db *DB) CountC2CUnread(ctx context.Context, app uint64, reader string, peers []string) (map[string]int64, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	out := make(map[string]int64, len(peers))
	for _, p := range peers {
		var n int64
		err := db.reader().queryRow(ctx, `SELECT unread FROM conversations WHERE app_id = ? AND owner = ? AND conv_type = 1 AND peer = ?`,
			appID(app), reader, p).Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, db.fail("count c2c unread", err)
		}
		out[p] = n
	}
	return out, nil
}

// CountC2CUnreadTotal implements im.C2CStore: the sum over the user's
// one-to-one conversation rows.
func (db *DB) CountC2CUnreadTotal(ctx context.Context, app uint64, reader string) (int64, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var n int64
	err := db.reader().queryRow(ctx, `SELECT COALESCE(SUM(unread), 0) FROM conversations WHERE app_id = ? AND owner = ? AND conv_type = 1`,
		appID(app), reader).Scan(&n)
	if err != nil {
		return 0, db.fail("count c2c unread total", err)
	}
	return n, nil
}
