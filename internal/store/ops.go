package store

import (
	"context"
	"database/sql"
	"slices"

	"github.com/chatd/chatd/internal/im"
)

var _ im.OpsStore = (*DB)(nil)

// secondsPerDay turns Unix seconds into day numbers.
const secondsPerDay = 86400

// DailyStats implements im.OpsStore. Each figure is one GROUP BY over an
// index range of its table's time column (the indexes of migration 0016),
// so its cost is the rows of the days asked for, not the table's.
func (db *DB) DailyStats(ctx context.Context, app uint64, firstDay, lastDay, offset int64) ([]im.DayStats, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	from, to := firstDay*secondsPerDay-offset, (lastDay+1)*secondsPerDay-offset
	out := make([]im.DayStats, lastDay-firstDay+1)
	for i := range out {
		out[i].Day = firstDay + int64(i)
	}
	day := func(d int64) *im.DayStats {
		if d < firstDay || d > lastDay {
			return nil // a row on the edge of a range written in another zone: not asked for
		}
		return &out[d-firstDay]
	}
	r := db.reader()
	a := appID(app)
	byDay := func(query string, set func(s *im.DayStats, v []int64)) error {
		rows, err := r.query(ctx, query, offset, a, from, to)
		return each(rows, err, func(rows *sql.Rows) error {
			cols, _ := rows.Columns()
			v := make([]int64, len(cols))
			ptrs := make([]any, len(cols))
			for i := range v {
				ptrs[i] = &v[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			if s := day(v[0]); s != nil {
				set(s, v[1:])
			}
			return nil
		})
	}
	steps := []struct {
		query string
		set   func(s *im.DayStats, v []int64)
	}{
		{`SELECT (created_at + ?) / 86400 AS d, COUNT(*) FROM accounts
			WHERE app_id = ? AND created_at >= ? AND created_at < ? GROUP BY d`,
			func(s *im.DayStats, v []int64) { s.NewAccounts = v[0] }},
		{`SELECT (msg_time + ?) / 86400 AS d, COUNT(*), COUNT(DISTINCT from_account) FROM c2c_messages
			WHERE app_id = ? AND msg_time >= ? AND msg_time < ? GROUP BY d`,
			func(s *im.DayStats, v []int64) { s.C2CMsgs, s.C2CSenders = v[0], v[1] }},
		{`SELECT (m.msg_time + ?) / 86400 AS d, COUNT(*), COUNT(DISTINCT m.from_account), COUNT(DISTINCT m.group_id),
			CAST(SUM(CASE WHEN g.member_num > 1 THEN g.member_num - 1 ELSE 0 END) AS BIGINT)
			FROM group_messages m JOIN groups g ON g.app_id = m.app_id AND g.group_id = m.group_id
			WHERE m.app_id = ? AND m.msg_time >= ? AND m.msg_time < ? GROUP BY d`,
			func(s *im.DayStats, v []int64) {
				s.GroupMsgs, s.GroupSenders, s.GroupsWithMsgs, s.GroupDeliveries = v[0], v[1], v[2], v[3]
			}},
		{`SELECT (add_time + ?) / 86400 AS d, COUNT(*) FROM friends
			WHERE app_id = ? AND add_time >= ? AND add_time < ? GROUP BY d`,
			func(s *im.DayStats, v []int64) { s.NewFriends = v[0] }},
		{`SELECT (join_time + ?) / 86400 AS d, COUNT(*) FROM group_members
			WHERE app_id = ? AND join_time >= ? AND join_time < ? GROUP BY d`,
			func(s *im.DayStats, v []int64) { s.GroupJoins = v[0] }},
		{`SELECT (create_time + ?) / 86400 AS d, COUNT(*) FROM groups
			WHERE app_id = ? AND create_time >= ? AND create_time < ? GROUP BY d`,
			func(s *im.DayStats, v []int64) { s.NewGroups = v[0] }},
	}
	for _, st := range steps {
		if err := byDay(st.query, st.set); err != nil {
			return nil, db.fail("daily stats", err)
		}
	}
	// Distinct senders of both kinds: the union's own range scans.
	rows, err := r.query(ctx, `SELECT d, COUNT(DISTINCT u) FROM (
		SELECT (msg_time + ?) / 86400 AS d, from_account AS u FROM c2c_messages WHERE app_id = ? AND msg_time >= ? AND msg_time < ?
		UNION ALL
		SELECT (msg_time + ?) / 86400 AS d, from_account AS u FROM group_messages WHERE app_id = ? AND msg_time >= ? AND msg_time < ?
		) x GROUP BY d`, offset, a, from, to, offset, a, from, to)
	err = each(rows, err, func(rows *sql.Rows) error {
		var d, n int64
		if err := rows.Scan(&d, &n); err != nil {
			return err
		}
		if s := day(d); s != nil {
			s.Senders = n
		}
		return nil
	})
	if err != nil {
		return nil, db.fail("daily stats", err)
	}
	// Totals at each day's end: those created before the range, then each
	// day's new ones.
	var accounts, groups int64
	if err := r.queryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE app_id = ? AND created_at < ?`, a, from).Scan(&accounts); err != nil {
		return nil, db.fail("daily stats", err)
	}
	if err := r.queryRow(ctx, `SELECT COUNT(*) FROM groups WHERE app_id = ? AND create_time < ?`, a, from).Scan(&groups); err != nil {
		return nil, db.fail("daily stats", err)
	}
	for i := range out {
		accounts += out[i].NewAccounts
		groups += out[i].NewGroups
		out[i].Accounts, out[i].Groups = accounts, groups
	}
	return out, nil
}

// ListC2CBetween implements im.OpsStore.
func (db *DB) ListC2CBetween(ctx context.Context, app uint64, from, to int64) ([]im.C2CMessage, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out []im.C2CMessage
	bo := db.dialect.ByteOrder
	rows, err := db.reader().query(ctx, `SELECT `+c2cColumns+c2cFrom+`
		WHERE m.app_id = ? AND m.msg_time >= ? AND m.msg_time < ?
		ORDER BY m.msg_time, m.user_lo`+bo+`, m.user_hi`+bo+`, m.msg_seq, m.msg_random`, appID(app), from, to)
	err = each(rows, err, func(r *sql.Rows) error {
		m, err := scanC2C(r, app)
		if err == nil {
			out = append(out, *m)
		}
		return err
	})
	if err != nil {
		return nil, db.fail("list c2c messages by time", err)
	}
	return out, nil
}

// prefixScanner scans a row whose first column precedes those of a shared
// scan function.
type prefixScanner struct {
	r     interface{ Scan(...any) error }
	first any
}

func (p prefixScanner) Scan(dest ...any) error { return p.r.Scan(append([]any{p.first}, dest...)...) }

// ListGroupBetween implements im.OpsStore.
func (db *DB) ListGroupBetween(ctx context.Context, app uint64, from, to int64) ([]im.GroupMessage, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out []im.GroupMessage
	rows, err := db.reader().query(ctx, `SELECT group_id, `+groupMessageColumns+` FROM group_messages
		WHERE app_id = ? AND msg_time >= ? AND msg_time < ? ORDER BY msg_time, group_id`+db.dialect.ByteOrder+`, msg_seq`,
		appID(app), from, to)
	err = each(rows, err, func(r *sql.Rows) error {
		var groupID string
		m, err := scanGroupMessage(prefixScanner{r, &groupID}, im.MsgStream{AppID: app})
		m.GroupID = groupID
		out = append(out, m)
		return err
	})
	if err != nil {
		return nil, db.fail("list group messages by time", err)
	}
	return out, nil
}

// PutArchive implements im.OpsStore. The parts go in one transaction: a
// second node that made the same hour meanwhile fails on the first part's
// key and reads the stored archive instead.
func (db *DB) PutArchive(ctx context.Context, parts []im.ArchivePart) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.inTx(ctx, func(c conn) error {
		for _, p := range parts {
			if _, err := c.exec(ctx, `INSERT INTO msg_archives (app_id, chat_type, hour, part, raw_size, raw_md5, gz_size, gz_md5,
				data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, appID(p.AppID), p.ChatType, p.Hour, p.Part,
				p.RawSize, p.RawMD5, p.GzSize, p.GzMD5, p.Data, p.Created); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.fail("put archive", err)
	}
	return nil
}

// ArchiveParts implements im.OpsStore.
func (db *DB) ArchiveParts(ctx context.Context, app uint64, chatType string, hour int64) ([]im.ArchivePart, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out []im.ArchivePart
	rows, err := db.reader().query(ctx, `SELECT part, raw_size, raw_md5, gz_size, gz_md5, created_at FROM msg_archives
		WHERE app_id = ? AND chat_type = ? AND hour = ? ORDER BY part`, appID(app), chatType, hour)
	err = each(rows, err, func(r *sql.Rows) error {
		p := im.ArchivePart{AppID: app, ChatType: chatType, Hour: hour}
		err := r.Scan(&p.Part, &p.RawSize, &p.RawMD5, &p.GzSize, &p.GzMD5, &p.Created)
		out = append(out, p)
		return err
	})
	if err != nil {
		return nil, db.fail("archive parts", err)
	}
	return out, nil
}

// ArchiveData implements im.OpsStore.
func (db *DB) ArchiveData(ctx context.Context, app uint64, chatType string, hour int64, part int) ([]byte, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var data []byte
	err := db.reader().queryRow(ctx, `SELECT data FROM msg_archives WHERE app_id = ? AND chat_type = ? AND hour = ? AND part = ?`,
		appID(app), chatType, hour, part).Scan(&data)
	if err != nil {
		return nil, db.fail("archive data", err)
	}
	return data, nil
}

// PruneArchives implements im.OpsStore.
func (db *DB) PruneArchives(ctx context.Context, before int64) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	if err := db.inTx(ctx, func(c conn) error {
		_, err := c.exec(ctx, `DELETE FROM msg_archives WHERE hour < ?`, before)
		return err
	}); err != nil {
		return db.fail("prune archives", err)
	}
	return nil
}

// SeeNodeAddrs implements im.OpsStore.
func (db *DB) SeeNodeAddrs(ctx context.Context, addrs []string, now int64) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.inTx(ctx, func(c conn) error {
		for _, addr := range addrs {
			if _, err := c.exec(ctx, `INSERT INTO node_addrs (addr, seen_at) VALUES (?, ?)
				ON CONFLICT (addr) DO UPDATE SET seen_at = excluded.seen_at`, addr, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.fail("see node addresses", err)
	}
	return nil
}

// NodeAddrs implements im.OpsStore.
func (db *DB) NodeAddrs(ctx context.Context, since int64) ([]string, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	out := []string{}
	rows, err := db.reader().query(ctx, `SELECT addr FROM node_addrs WHERE seen_at >= ?`, since)
	err = each(rows, err, func(r *sql.Rows) error {
		var addr string
		err := r.Scan(&addr)
		out = append(out, addr)
		return err
	})
	if err != nil {
		return nil, db.fail("node addresses", err)
	}
	slices.Sort(out)
	return out, nil
}
