package store

import (
	"context"
	"unicode/utf8"

	"github.com/chatd/chatd/internal/im"
)

// UpdateC2C implements im.C2CStore. One transaction locks the message row
// (a no-op UPDATE: the row lock on PostgreSQL; SQLite's write transaction
// holds the database), reads it, lets the caller change it, writes it,
// commits the events with commitStreamIn (which locks accounts after the
// message row, in CommitStream's order), recounts the recipient's unread
// in the conversation row (locked last, as CommitStream does), and
// rewrites the message's own stream entries.
func (db *DB) UpdateC2C(ctx context.Context, c im.C2CChange) (im.C2CChanged, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out im.C2CChanged
	var refused error
	err := db.inTx(ctx, func(tx conn) error {
		lo, hi := conversation(c.From, c.To)
		key := []any{appID(c.AppID), lo, hi, c.Time, int64(c.Seq), int64(c.Random), c.From}
		err := tx.queryRow(ctx, `UPDATE c2c_messages SET flag_bits = flag_bits
			WHERE app_id = ? AND user_lo = ? AND user_hi = ? AND msg_time = ? AND msg_seq = ? AND msg_random = ? AND from_account = ?
			RETURNING flag_bits`, key...).Scan(new(int))
		if err != nil {
			return err
		}
		m, err := scanC2C(tx.queryRow(ctx, `SELECT `+c2cColumns+c2cFrom+` WHERE`+c2cKey, key...), c.AppID)
		if err != nil {
			return err
		}
		if refused = c.Apply(m); refused != nil {
			return refused
		}
		if _, err := tx.exec(ctx, `UPDATE c2c_messages SET msg_body = ?, cloud_custom_data = ?, flag_bits = ?
			WHERE app_id = ? AND user_lo = ? AND user_hi = ? AND msg_time = ? AND msg_seq = ? AND msg_random = ? AND from_account = ?`,
			append([]any{string(m.Body), []byte(m.CloudCustomData), m.FlagBits}, key...)...); err != nil {
			return err
		}
		out.Msg, out.Write = *m, c.Events(m)
		results, err := commitStreamIn(ctx, tx, []im.StreamWrite{out.Write})
		if err != nil {
			return err
		}
		out.Result = results[0]
		// The conversation row after the accounts commitStreamIn locked,
		// in CommitStream's order.
		if err := refreshC2CUnread(ctx, tx, c.AppID, c.To, c.From); err != nil {
			return err
		}
		if c.Entry == nil {
			return nil
		}
		// The message's entries were written at its own time; the prefix
		// picks them out of the few entries of that second.
		_, err = tx.exec(ctx, `UPDATE user_events SET payload = ?
			WHERE app_id = ? AND user_id IN (?, ?) AND event_time = ? AND substr(payload, 1, ?) = ?`,
			string(c.Entry(m)), appID(c.AppID), c.From, c.To, c.Time, utf8.RuneCountInString(c.EntryPrefix), c.EntryPrefix)
		return err
	})
	switch {
	case err == nil:
		return out, nil
	case refused != nil:
		return im.C2CChanged{}, refused
	default: // no such message: im.ErrNotFound
		return im.C2CChanged{}, db.fail("update c2c message", err)
	}
}
