package store

import (
	"context"
	"database/sql"

	"github.com/chatd/chatd/internal/im"
)

var _ im.C2CStore = (*DB)(nil)

// c2cColumns are the columns scanC2C reads, in its order, from c2c_messages
// m joined with the recipient's read mark r (c2cFrom): a message is read
// by its recipient when it is at or before the mark.
const c2cColumns = `m.from_account, m.to_account, m.msg_seq, m.msg_random, m.msg_time, m.msg_body, m.cloud_custom_data,
	m.offline_push_info, m.flag_bits, m.support_ext, m.need_receipt,
	(m.peer_read OR m.msg_time <= COALESCE(r.read_time, -1)), m.hidden_from_sender, m.hidden_from_recipient`

// c2cFrom is the FROM clause c2cColumns reads.
const c2cFrom = ` FROM c2c_messages m LEFT JOIN c2c_read r
	ON r.app_id = m.app_id AND r.reader = m.to_account AND r.peer = m.from_account`

// c2cKey selects one message by its conversation and key parts.
const c2cKey = ` m.app_id = ? AND m.user_lo = ? AND m.user_hi = ? AND m.msg_time = ? AND m.msg_seq = ? AND m.msg_random = ?
	AND m.from_account = ?`

// c2cKeyArgs are the arguments of c2cKey.
func c2cKeyArgs(app uint64, from, to string, seq, random uint32, time int64) []any {
	lo, hi := conversation(from, to)
	return []any{appID(app), lo, hi, time, int64(seq), int64(random), from}
}

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
	m, err := scanC2C(db.reader().queryRow(ctx, `SELECT `+c2cColumns+c2cFrom+` WHERE`+c2cKey,
		c2cKeyArgs(app, from, to, seq, random, time)...), app)
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
		cursor = ` AND (m.msg_time < ? OR m.msg_time = ? AND (m.msg_seq < ? OR m.msg_seq = ? AND m.msg_random < ?))`
		args = append(args, before.Time, before.Time, int64(before.Seq), int64(before.Seq), int64(before.Random))
	}
	args = append(args, limit)
	var out []im.C2CMessage
	rows, err := db.reader().query(ctx, `SELECT `+c2cColumns+c2cFrom+`
		WHERE m.app_id = ? AND m.user_lo = ? AND m.user_hi = ? AND m.msg_time >= ? AND m.msg_time <= ?
		AND NOT (m.from_account = ? AND m.hidden_from_sender) AND NOT (m.to_account = ? AND m.hidden_from_recipient)`+cursor+`
		ORDER BY m.msg_time DESC, m.msg_seq DESC, m.msg_random DESC LIMIT ?`, args...)
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
