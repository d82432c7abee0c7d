package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/chatd/chatd/internal/im"
)

// memberColumns are the columns scanMember reads, in its order; callers
// alias the group_members table as m.
const memberColumns = `m.user_id, m.role, m.join_time, m.msg_seq, m.msg_flag, m.last_send_msg_time,
	m.mute_until, m.name_card, m.app_member_defined_data`

// memberDest returns scan destinations for memberColumns and a finish
// function that decodes the JSON column once the row is scanned.
func memberDest(m *im.Member) ([]any, func() error) {
	var data string
	dest := []any{&m.UserID, &m.Role, &m.JoinTime, &m.MsgSeq, &m.MsgFlag, &m.LastSendMsgTime,
		&m.MuteUntil, &m.NameCard, &data}
	return dest, func() error {
		kv, err := decodeKV(data)
		if err != nil {
			return fmt.Errorf("member %s: app member defined data: %w", m.UserID, err)
		}
		m.AppMemberDefinedData = kv
		return nil
	}
}

// insertMember adds one membership row. It leaves member_num alone: the
// caller adjusts it in the same transaction.
func insertMember(ctx context.Context, c conn, app int64, groupID string, m im.Member) error {
	data, err := encodeKV(m.AppMemberDefinedData)
	if err != nil {
		return fmt.Errorf("member %s: app member defined data: %w", m.UserID, err)
	}
	_, err = c.exec(ctx, `INSERT INTO group_members (app_id, group_id, user_id, role, join_time, msg_seq, msg_flag,
		last_send_msg_time, mute_until, name_card, app_member_defined_data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		app, groupID, m.UserID, m.Role, m.JoinTime, m.MsgSeq, m.MsgFlag,
		m.LastSendMsgTime, m.MuteUntil, m.NameCard, data)
	return err
}

// ListMembers implements im.GroupStore. Join order is join_time, then
// insertion order among members who joined in the same second. A group
// that does not exist has no members: the result is empty, not an error.
func (db *DB) ListMembers(ctx context.Context, app uint64, groupID string) ([]im.Member, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out []im.Member
	rows, err := db.reader().query(ctx, `SELECT `+memberColumns+` FROM group_members m
		WHERE m.app_id = ? AND m.group_id = ? ORDER BY m.join_time, m.seq`, appID(app), groupID)
	err = each(rows, err, func(r *sql.Rows) error {
		var m im.Member
		dest, finish := memberDest(&m)
		if err := r.Scan(dest...); err != nil {
			return err
		}
		if err := finish(); err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, db.fail("list members", err)
	}
	return out, nil
}

// ListJoinedGroups implements im.GroupStore, in the same join order as
// ListMembers.
func (db *DB) ListJoinedGroups(ctx context.Context, app uint64, userID string) ([]im.JoinedGroup, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out []im.JoinedGroup
	rows, err := db.reader().query(ctx, `SELECT `+groupColumns+`, `+memberColumns+`
		FROM group_members m JOIN groups g ON g.app_id = m.app_id AND g.group_id = m.group_id
		WHERE m.app_id = ? AND m.user_id = ? ORDER BY m.join_time, m.seq`, appID(app), userID)
	err = each(rows, err, func(r *sql.Rows) error {
		var self im.Member
		dest, finish := memberDest(&self)
		g, err := scanGroup(r, app, dest...)
		if err != nil {
			return err
		}
		if err := finish(); err != nil {
			return err
		}
		out = append(out, im.JoinedGroup{Group: *g, Self: self})
		return nil
	})
	if err != nil {
		return nil, db.fail("list joined groups", err)
	}
	return out, nil
}

// CountJoinedGroups implements im.GroupStore.
func (db *DB) CountJoinedGroups(ctx context.Context, app uint64, userID string) (int, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var n int
	err := db.reader().queryRow(ctx, `SELECT COUNT(*) FROM group_members WHERE app_id = ? AND user_id = ?`,
		appID(app), userID).Scan(&n)
	if err != nil {
		return 0, db.fail("count joined groups", err)
	}
	return n, nil
}

// GetMembers implements im.GroupStore.
func (db *DB) GetMembers(ctx context.Context, app uint64, groupID string, userIDs []string) (map[string]im.Member, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	out := make(map[string]im.Member, len(userIDs))
	for _, ids := range chunks(userIDs) {
		rows, err := db.reader().query(ctx, `SELECT `+memberColumns+` FROM group_members m
			WHERE m.app_id = ? AND m.group_id = ? AND m.user_id IN (`+placeholders(len(ids))+`)`,
			withIDs(ids, appID(app), groupID)...)
		err = each(rows, err, func(r *sql.Rows) error {
			var m im.Member
			dest, finish := memberDest(&m)
			if err := r.Scan(dest...); err != nil {
				return err
			}
			if err := finish(); err != nil {
				return err
			}
			out[m.UserID] = m
			return nil
		})
		if err != nil {
			return nil, db.fail("get members", err)
		}
	}
	return out, nil
}

// ListJoinedGroupIDs implements im.GroupStore: one range scan of the
// group_members_by_user index, without touching the groups table.
func (db *DB) ListJoinedGroupIDs(ctx context.Context, app uint64, userID string) ([]string, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out []string
	rows, err := db.reader().query(ctx, `SELECT group_id FROM group_members
		WHERE app_id = ? AND user_id = ? ORDER BY join_time, seq`, appID(app), userID)
	err = each(rows, err, func(r *sql.Rows) error {
		var id string
		if err := r.Scan(&id); err != nil {
			return err
		}
		out = append(out, id)
		return nil
	})
	if err != nil {
		return nil, db.fail("list joined group ids", err)
	}
	return out, nil
}
