package store

import (
	"context"
	"database/sql"

	"github.com/chatd/chatd/internal/im"
)

var _ im.C2CStore = (*DB)(nil)

// c2cColumns are the columns scanC2C reads, in its order.
const c2cColumns = `from_account, to_account, msg_seq, msg_random, msg_time, msg_body, cloud_custom_data, offline_push_info,
	flag_bits, support_ext, need_receipt, peer_read, hidden_from_sender, hidden_from_recipient`

func scanC2C(r interface{ Scan(...any) error }, app uint64) (*im.C2CMessage, error) {
	m := &im.C2CMessage{AppID: app}
	var seq, random int64
	var body, push string
	var custom []byte
	if err := r.Scan(&m.From, &m.To, &seq, &random, &m.Time, &body, &custom, &push, &m.FlagBits,
		&m.SupportExtension, &m.NeedReadReceipt, &m.PeerRead, &m.HiddenFromSender, &m.HiddenFromRecipient); err != nil {
		return nil, err
	}
	m.Seq, m.Random, m.Body, m.CloudCustomData = uint32(seq), uint32(random), []byte(body), string(custom)
	if push != "" {
		m.OfflinePushInfo = []byte(push)
	}
	return m, nil
}

// GetC2CMessage implements im.C2CStore.
func (db *DB) GetC2CMessage(ctx context.Context, app uint64, from, to string, seq, random uint32, time int64) (*im.C2CMessage, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	lo, hi := conversation(from, to)
	m, err := scanC2C(db.reader().queryRow(ctx, `SELECT `+c2cColumns+` FROM c2c_messages
		WHERE app_id = ? AND user_lo = ? AND user_hi = ? AND msg_time = ? AND msg_seq = ? AND msg_random = ?
		AND from_account = ?`, appID(app), lo, hi, time, int64(seq), int64(random), from), app)
	if err != nil {
		return nil, db.fail("get c2c message", err)
	}
	return m, nil
}

// ListC2CMessages implements im.C2CStore. The key order is the
// conversation's message order, so a page is one range scan.
func (db *DB) ListC2CMessages(ctx context.Context, app uint64, owner, peer string, minTime, maxTime int64, before *im.C2CMessage, limit int) ([]im.C2CMessage, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	lo, hi := conversation(owner, peer)
	args := []any{appID(app), lo, hi, minTime, maxTime, owner, owner}
	cursor := ""
	if before != nil {
		cursor = ` AND (msg_time < ? OR msg_time = ? AND (msg_seq < ? OR msg_seq = ? AND msg_random < ?))`
		args = append(args, before.Time, before.Time, int64(before.Seq), int64(before.Seq), int64(before.Random))
	}
	args = append(args, limit)
	var out []im.C2CMessage
	rows, err := db.reader().query(ctx, `SELECT `+c2cColumns+` FROM c2c_messages
		WHERE app_id = ? AND user_lo = ? AND user_hi = ? AND msg_time >= ? AND msg_time <= ?
		AND NOT (from_account = ? AND hidden_from_sender) AND NOT (to_account = ? AND hidden_from_recipient)`+cursor+`
		ORDER BY msg_time DESC, msg_seq DESC, msg_random DESC LIMIT ?`, args...)
	err = each(rows, err, func(r *sql.Rows) error {
		m, err := scanC2C(r, app)
		if err == nil {
			out = append(out, *m)
		}
		return err
	})
	if err != nil {
		return nil, db.fail("list c2c messages", err)
	}
	return out, nil
}
