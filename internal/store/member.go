package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"

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

// scanMember reads memberColumns followed by extra destinations.
func scanMember(r interface{ Scan(...any) error }, extra ...any) (im.Member, error) {
	var m im.Member
	dest, finish := memberDest(&m)
	if err := r.Scan(append(dest, extra...)...); err != nil {
		return im.Member{}, err
	}
	return m, finish()
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
		m, err := scanMember(r)
		out = append(out, m)
		return err
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
			m, err := scanMember(r)
			out[m.UserID] = m
			return err
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

// CountJoinedGroupsOf implements im.GroupStore.
func (db *DB) CountJoinedGroupsOf(ctx context.Context, app uint64, userIDs []string) (map[string]int, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	out := make(map[string]int, len(userIDs))
	for _, ids := range chunks(userIDs) {
		rows, err := db.reader().query(ctx, `SELECT user_id, COUNT(*) FROM group_members
			WHERE app_id = ? AND user_id IN (`+placeholders(len(ids))+`) GROUP BY user_id`, withIDs(ids, appID(app))...)
		err = each(rows, err, func(r *sql.Rows) error {
			var id string
			var n int
			if err := r.Scan(&id, &n); err != nil {
				return err
			}
			out[id] = n
			return nil
		})
		if err != nil {
			return nil, db.fail("count joined groups", err)
		}
	}
	return out, nil
}

// PageMembers implements im.GroupStore. Cursor pages are keyed by the
// member's seq, which only grows, so a page never repeats or skips a member
// that stays while others join or leave.
func (db *DB) PageMembers(ctx context.Context, app uint64, groupID string, q im.MemberQuery) (im.MemberPage, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	where := `m.app_id = ? AND m.group_id = ?`
	args := []any{appID(app), groupID}
	if len(q.Roles) > 0 {
		where += ` AND m.role IN (` + placeholders(len(q.Roles)) + `)`
		for _, r := range q.Roles {
			args = append(args, r)
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = math.MaxInt32
	}
	tail := ` ORDER BY m.join_time, m.seq LIMIT ? OFFSET ?`
	if q.Cursor {
		where += ` AND m.seq > ?`
		args = append(args, q.After)
		// One extra row tells whether another page follows.
		tail = ` ORDER BY m.seq LIMIT ? OFFSET 0`
		limit = min(limit, math.MaxInt32-1) + 1
	}
	args = append(args, limit)
	if !q.Cursor {
		args = append(args, q.Offset)
	}
	var page im.MemberPage
	var seqs []int64
	rows, err := db.reader().query(ctx, `SELECT `+memberColumns+`, m.seq FROM group_members m WHERE `+where+tail, args...)
	err = each(rows, err, func(r *sql.Rows) error {
		var seq int64
		m, err := scanMember(r, &seq)
		page.Members = append(page.Members, m)
		seqs = append(seqs, seq)
		return err
	})
	if err != nil {
		return im.MemberPage{}, db.fail("page members", err)
	}
	if q.Cursor && len(page.Members) == limit {
		page.Members = page.Members[:limit-1]
		page.Next = seqs[limit-2]
	}
	return page, nil
}

// AddMembers implements im.GroupStore. The group's row is locked first, so
// concurrent additions from any node count against one member_num.
func (db *DB) AddMembers(ctx context.Context, app uint64, groupID string, members []im.Member) ([]string, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(app)
	var added []string
	err := db.inTx(ctx, func(c conn) error {
		num, maxMembers, err := lockGroup(ctx, c, a, groupID)
		if err != nil {
			return err
		}
		added, err = addMembersIn(ctx, c, a, groupID, num, maxMembers, members)
		return err
	})
	if err != nil {
		return nil, db.fail("add members", err)
	}
	return added, nil
}

// addMembersIn adds the members that are not members yet to a group whose
// row the transaction has locked (it held num members, of at most
// maxMembers), and drops their pending join applications: a member has
// nothing left to apply for.
func addMembersIn(ctx context.Context, c conn, a int64, groupID string, num, maxMembers int, members []im.Member) ([]string, error) {
	var added []string
	for _, m := range members {
		data, err := encodeKV(m.AppMemberDefinedData)
		if err != nil {
			return nil, fmt.Errorf("member %s: app member defined data: %w", m.UserID, err)
		}
		res, err := c.exec(ctx, `INSERT INTO group_members (app_id, group_id, user_id, role, join_time, msg_seq,
			msg_flag, last_send_msg_time, mute_until, name_card, app_member_defined_data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, COALESCE((SELECT until FROM group_mutes
				WHERE app_id = ? AND group_id = ? AND topic_id = '' AND user_id = ?), ?), ?, ?)
			ON CONFLICT (app_id, group_id, user_id) DO NOTHING`,
			a, groupID, m.UserID, m.Role, m.JoinTime, m.MsgSeq, m.MsgFlag, m.LastSendMsgTime,
			a, groupID, m.UserID, m.MuteUntil, m.NameCard, data)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n > 0 {
			added = append(added, m.UserID)
		}
	}
	if maxMembers > 0 && num+len(added) > maxMembers {
		return nil, im.ErrFull
	}
	for _, ids := range chunks(added) {
		if _, err := c.exec(ctx, `DELETE FROM group_applications WHERE app_id = ? AND group_id = ?
			AND user_id IN (`+placeholders(len(ids))+`)`, withIDs(ids, a, groupID)...); err != nil {
			return nil, err
		}
	}
	_, err := c.exec(ctx, `UPDATE groups SET member_num = member_num + ? WHERE app_id = ? AND group_id = ?`,
		len(added), a, groupID)
	return added, err
}

// RemoveMembers implements im.GroupStore.
func (db *DB) RemoveMembers(ctx context.Context, app uint64, groupID string, userIDs []string) ([]string, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(app)
	var removed []string
	err := db.inTx(ctx, func(c conn) error {
		removed = nil
		if _, _, err := lockGroup(ctx, c, a, groupID); err != nil {
			return err
		}
		gone := map[string]bool{}
		for _, ids := range chunks(userIDs) {
			rows, err := c.query(ctx, `DELETE FROM group_members WHERE app_id = ? AND group_id = ?
				AND user_id IN (`+placeholders(len(ids))+`) RETURNING user_id`, withIDs(ids, a, groupID)...)
			err = each(rows, err, func(r *sql.Rows) error {
				var id string
				if err := r.Scan(&id); err != nil {
					return err
				}
				gone[id] = true
				return nil
			})
			if err != nil {
				return err
			}
		}
		for _, id := range userIDs {
			if gone[id] {
				removed = append(removed, id)
				delete(gone, id)
			}
		}
		for _, ids := range chunks(removed) {
			if _, err := c.exec(ctx, `UPDATE groups SET owner = '' WHERE app_id = ? AND group_id = ?
				AND owner IN (`+placeholders(len(ids))+`)`, withIDs(ids, a, groupID)...); err != nil {
				return err
			}
		}
		_, err := c.exec(ctx, `UPDATE groups SET member_num = member_num - ? WHERE app_id = ? AND group_id = ?`,
			len(removed), a, groupID)
		return err
	})
	if err != nil {
		return nil, db.fail("remove members", err)
	}
	return removed, nil
}

// UpdateMember implements im.GroupStore. It locks the group's row before
// the member's, the order every member write and message send takes.
func (db *DB) UpdateMember(ctx context.Context, app uint64, groupID, userID string, apply func(m *im.Member) error) (*im.Member, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(app)
	var m im.Member
	err := db.inTx(ctx, func(c conn) error {
		if _, _, err := lockGroup(ctx, c, a, groupID); err != nil {
			return err
		}
		var err error
		m, err = scanMember(c.queryRow(ctx, `SELECT `+memberColumns+` FROM group_members m
			WHERE m.app_id = ? AND m.group_id = ? AND m.user_id = ?`, a, groupID, userID))
		if err != nil {
			return err
		}
		muteBefore := m.MuteUntil
		if err := apply(&m); err != nil {
			return err
		}
		data, err := encodeKV(m.AppMemberDefinedData)
		if err != nil {
			return fmt.Errorf("member %s: app member defined data: %w", userID, err)
		}
		if _, err := c.exec(ctx, `UPDATE group_members SET role = ?, msg_flag = ?, name_card = ?,
			app_member_defined_data = ?, mute_until = ? WHERE app_id = ? AND group_id = ? AND user_id = ?`,
			m.Role, m.MsgFlag, m.NameCard, data, m.MuteUntil, a, groupID, userID); err != nil {
			return err
		}
		if m.MuteUntil != muteBefore {
			return storeMute(ctx, c, a, groupID, "", im.Mute{UserID: userID, Until: m.MuteUntil})
		}
		return nil
	})
	if err != nil {
		return nil, db.fail("update member", err)
	}
	return &m, nil
}

// ChangeOwner implements im.GroupStore.
func (db *DB) ChangeOwner(ctx context.Context, app uint64, groupID, newOwner string, now int64) (string, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(app)
	var prev string
	err := db.inTx(ctx, func(c conn) error {
		if _, _, err := lockGroup(ctx, c, a, groupID); err != nil {
			return err
		}
		if err := c.queryRow(ctx, `SELECT owner FROM groups WHERE app_id = ? AND group_id = ?`, a, groupID).Scan(&prev); err != nil {
			return err
		}
		res, err := c.exec(ctx, `UPDATE group_members SET role = ? WHERE app_id = ? AND group_id = ? AND user_id = ?`,
			im.RoleOwner, a, groupID, newOwner)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return im.ErrNotFound
		}
		if prev == newOwner {
			return nil
		}
		if prev != "" {
			if _, err := c.exec(ctx, `UPDATE group_members SET role = ? WHERE app_id = ? AND group_id = ? AND user_id = ?`,
				im.RoleMember, a, groupID, prev); err != nil {
				return err
			}
		}
		_, err = c.exec(ctx, `UPDATE groups SET owner = ?, info_seq = info_seq + 1, last_info_time = ?
			WHERE app_id = ? AND group_id = ?`, newOwner, now, a, groupID)
		return err
	})
	if err != nil {
		return "", db.fail("change owner", err)
	}
	return prev, nil
}
