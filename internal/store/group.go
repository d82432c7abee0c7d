package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/chatd/chatd/internal/im"
)

// groupColumns are the columns scanGroup reads, in its order; callers alias
// the groups table as g.
const groupColumns = `g.group_id, g.group_type, g.name, g.introduction, g.notification, g.face_url, g.owner,
	g.create_time, g.info_seq, g.last_info_time, g.last_msg_time, g.next_msg_seq, g.max_member_num,
	g.apply_join_option, g.mute_all_member, g.support_topic, g.app_defined_data, g.member_num, g.event_seq`

// scanGroup reads groupColumns followed by extra destinations.
func scanGroup(r interface{ Scan(...any) error }, app uint64, extra ...any) (*im.Group, error) {
	g := &im.Group{AppID: app}
	var data string
	dest := append([]any{&g.ID, &g.Type, &g.Name, &g.Introduction, &g.Notification, &g.FaceURL, &g.Owner,
		&g.CreateTime, &g.InfoSeq, &g.LastInfoTime, &g.LastMsgTime, &g.NextMsgSeq, &g.MaxMemberNum,
		&g.ApplyJoinOption, &g.MuteAllMember, &g.SupportTopic, &data, &g.MemberNum, &g.EventSeq}, extra...)
	if err := r.Scan(dest...); err != nil {
		return nil, err
	}
	var err error
	if g.AppDefinedData, err = decodeKV(data); err != nil {
		return nil, fmt.Errorf("group %s: app defined data: %w", g.ID, err)
	}
	return g, nil
}

// CreateGroup implements im.GroupStore. member_num starts at len(members)
// and g.MemberNum is set to it. A UserID listed twice is a caller bug and
// fails the whole call with a plain error (not ErrConflict, which callers
// read as "group ID taken").
func (db *DB) CreateGroup(ctx context.Context, g *im.Group, members []im.Member) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	seen := make(map[string]bool, len(members))
	for _, m := range members {
		if seen[m.UserID] {
			return fmt.Errorf("store: create group: member %q listed twice", m.UserID)
		}
		seen[m.UserID] = true
	}
	data, err := encodeKV(g.AppDefinedData)
	if err != nil {
		return fmt.Errorf("store: create group: app defined data: %w", err)
	}
	a := appID(g.AppID)
	err = db.inTx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, `INSERT INTO groups (app_id, group_id, group_type, name, introduction, notification,
			face_url, owner, create_time, info_seq, last_info_time, last_msg_time, next_msg_seq, max_member_num,
			apply_join_option, mute_all_member, support_topic, app_defined_data, member_num)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a, g.ID, string(g.Type), g.Name, g.Introduction, g.Notification,
			g.FaceURL, g.Owner, g.CreateTime, g.InfoSeq, g.LastInfoTime, g.LastMsgTime, g.NextMsgSeq, g.MaxMemberNum,
			g.ApplyJoinOption, g.MuteAllMember, g.SupportTopic, data, len(members)); err != nil {
			return err
		}
		for _, m := range members {
			if err := insertMember(ctx, c, a, g.ID, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.fail("create group", err)
	}
	g.MemberNum = len(members)
	return nil
}

// GetGroup implements im.GroupStore.
func (db *DB) GetGroup(ctx context.Context, app uint64, groupID string) (*im.Group, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	row := db.reader().queryRow(ctx, `SELECT `+groupColumns+` FROM groups g WHERE g.app_id = ? AND g.group_id = ?`,
		appID(app), groupID)
	g, err := scanGroup(row, app)
	if err != nil {
		return nil, db.fail("get group", err)
	}
	return g, nil
}

// lockGroup takes the group's row lock for the rest of the transaction (a
// no-op UPDATE, the one portable way: SQLite's write transaction holds the
// whole database anyway) and returns the group's member count and cap, or
// im.ErrNotFound. Writes that must see each other's effect on one group
// (member limits, owner changes, topic counts) begin with it, which is also
// the order a message send locks in (group row first), so they cannot
// deadlock with sends.
func lockGroup(ctx context.Context, c conn, app int64, groupID string) (memberNum, maxMembers int, err error) {
	err = c.queryRow(ctx, `UPDATE groups SET member_num = member_num WHERE app_id = ? AND group_id = ?
		RETURNING member_num, max_member_num`, app, groupID).Scan(&memberNum, &maxMembers)
	return memberNum, maxMembers, err
}

// UpdateGroup implements im.GroupStore.
func (db *DB) UpdateGroup(ctx context.Context, app uint64, groupID string, apply func(g *im.Group) error) (*im.Group, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(app)
	var g *im.Group
	err := db.inTx(ctx, func(c conn) error {
		if _, _, err := lockGroup(ctx, c, a, groupID); err != nil {
			return err
		}
		var err error
		g, err = scanGroup(c.queryRow(ctx, `SELECT `+groupColumns+` FROM groups g WHERE g.app_id = ? AND g.group_id = ?`, a, groupID), app)
		if err != nil {
			return err
		}
		if err := apply(g); err != nil {
			return err
		}
		data, err := encodeKV(g.AppDefinedData)
		if err != nil {
			return fmt.Errorf("app defined data: %w", err)
		}
		_, err = c.exec(ctx, `UPDATE groups SET name = ?, introduction = ?, notification = ?, face_url = ?,
			info_seq = ?, last_info_time = ?, max_member_num = ?, apply_join_option = ?, mute_all_member = ?,
			support_topic = ?, app_defined_data = ? WHERE app_id = ? AND group_id = ?`,
			g.Name, g.Introduction, g.Notification, g.FaceURL, g.InfoSeq, g.LastInfoTime, g.MaxMemberNum,
			g.ApplyJoinOption, g.MuteAllMember, g.SupportTopic, data, a, groupID)
		return err
	})
	if err != nil {
		return nil, db.fail("update group", err)
	}
	return g, nil
}

// DeleteGroup implements im.GroupStore. The group row goes first, which
// locks it first: the order a message send locks in, so the two cannot
// deadlock. Everything hung on it (members, bans, messages, mutes,
// topics, attributes, counters, applications) is then deleted explicitly
// rather than left to ON DELETE CASCADE alone, so the result does not
// depend on the connection having foreign keys enabled.
func (db *DB) DeleteGroup(ctx context.Context, app uint64, groupID string) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(app)
	err := db.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM groups WHERE app_id = ? AND group_id = ?`, a, groupID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return im.ErrNotFound
		}
		for _, table := range []string{"group_members", "group_bans", "group_messages", "group_msg_dedup", "group_events",
			"group_mutes", "group_topics", "group_attrs", "group_counters", "group_applications"} {
			if _, err := c.exec(ctx, `DELETE FROM `+table+` WHERE app_id = ? AND group_id = ?`, a, groupID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.fail("delete group", err)
	}
	return nil
}

// ListGroupIDs implements im.GroupStore. The cursor is the seq column of
// the last group returned; one extra row is fetched to tell whether another
// page follows. Total counts every group of the type filter, independent of
// the cursor.
func (db *DB) ListGroupIDs(ctx context.Context, app uint64, groupType im.GroupType, after int64, limit int) (im.GroupPage, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	if limit <= 0 {
		return im.GroupPage{}, fmt.Errorf("store: list group ids: limit %d is not positive", limit)
	}
	filter, args := typeFilter(app, groupType)
	var page im.GroupPage
	if err := db.reader().queryRow(ctx, `SELECT COUNT(*) FROM groups WHERE `+filter, args...).Scan(&page.Total); err != nil {
		return im.GroupPage{}, db.fail("list group ids", err)
	}
	var seqs []int64
	rows, err := db.reader().query(ctx, `SELECT group_id, seq FROM groups WHERE `+filter+` AND seq > ?
		ORDER BY seq LIMIT ?`, append(args, after, limit+1)...)
	err = each(rows, err, func(r *sql.Rows) error {
		var id string
		var seq int64
		if err := r.Scan(&id, &seq); err != nil {
			return err
		}
		page.IDs = append(page.IDs, id)
		seqs = append(seqs, seq)
		return nil
	})
	if err != nil {
		return im.GroupPage{}, db.fail("list group ids", err)
	}
	if len(page.IDs) > limit {
		page.IDs = page.IDs[:limit]
		page.Next = seqs[limit-1]
	}
	return page, nil
}

// CountGroups implements im.GroupStore.
func (db *DB) CountGroups(ctx context.Context, app uint64, groupType im.GroupType) (int, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	filter, args := typeFilter(app, groupType)
	var n int
	if err := db.reader().queryRow(ctx, `SELECT COUNT(*) FROM groups WHERE `+filter, args...).Scan(&n); err != nil {
		return 0, db.fail("count groups", err)
	}
	return n, nil
}

// typeFilter is the WHERE condition selecting an app's groups of one type,
// or of every type when groupType is "".
func typeFilter(app uint64, groupType im.GroupType) (string, []any) {
	if groupType == "" {
		return `app_id = ?`, []any{appID(app)}
	}
	return `app_id = ? AND group_type = ?`, []any{appID(app), string(groupType)}
}

// encodeKV stores custom fields as a JSON array, "[]" when there are none.
func encodeKV(kv []im.KV) (string, error) {
	if len(kv) == 0 {
		return "[]", nil
	}
	b, err := im.EncodeJSON(kv)
	return string(b), err
}

// decodeKV reverses encodeKV; no fields decode as nil.
func decodeKV(s string) ([]im.KV, error) {
	if s == "" || s == "[]" || s == "null" {
		return nil, nil
	}
	var kv []im.KV
	if err := json.Unmarshal([]byte(s), &kv); err != nil {
		return nil, err
	}
	if len(kv) == 0 {
		return nil, nil
	}
	return kv, nil
}
