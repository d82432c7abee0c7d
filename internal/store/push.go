package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/chatd/chatd/internal/im"
)

var _ im.PushStore = (*DB)(nil)

// SetPushAttrNames implements im.PushStore.
func (db *DB) SetPushAttrNames(ctx context.Context, app uint64, names map[int]string) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.inTx(ctx, func(c conn) error {
		merged, err := attrNames(ctx, c, app)
		if err != nil {
			return err
		}
		for slot, name := range names {
			merged[slot] = name
		}
		seen := map[string]bool{}
		for _, name := range merged {
			if seen[name] {
				return im.ErrConflict
			}
			seen[name] = true
		}
		for slot, name := range names {
			if _, err := c.exec(ctx, `INSERT INTO push_attr_names (app_id, slot, name) VALUES (?, ?, ?)
				ON CONFLICT (app_id, slot) DO UPDATE SET name = excluded.name`, appID(app), slot, name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.fail("set push attribute names", err)
	}
	return nil
}

// PushAttrNames implements im.PushStore.
func (db *DB) PushAttrNames(ctx context.Context, app uint64) (map[int]string, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	names, err := attrNames(ctx, db.reader(), app)
	if err != nil {
		return nil, db.fail("push attribute names", err)
	}
	return names, nil
}

func attrNames(ctx context.Context, c conn, app uint64) (map[int]string, error) {
	out := map[int]string{}
	rows, err := c.query(ctx, `SELECT slot, name FROM push_attr_names WHERE app_id = ?`, appID(app))
	err = each(rows, err, func(r *sql.Rows) error {
		var slot int
		var name string
		err := r.Scan(&slot, &name)
		out[slot] = name
		return err
	})
	return out, err
}

// PushProfiles implements im.PushStore.
func (db *DB) PushProfiles(ctx context.Context, app uint64, userIDs []string) (map[string]im.PushProfile, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	out := map[string]im.PushProfile{}
	profile := func(id string) im.PushProfile {
		p, ok := out[id]
		if !ok {
			p = im.PushProfile{Attrs: map[int]string{}, Tags: map[string]bool{}}
			out[id] = p
		}
		return p
	}
	for _, ids := range chunks(userIDs) {
		args := withIDs(ids, appID(app))
		rows, err := db.reader().query(ctx, `SELECT user_id, slot, value FROM push_user_attrs
			WHERE app_id = ? AND user_id IN (`+placeholders(len(ids))+`)`, args...)
		err = each(rows, err, func(r *sql.Rows) error {
			var id, value string
			var slot int
			if err := r.Scan(&id, &slot, &value); err != nil {
				return err
			}
			profile(id).Attrs[slot] = value
			return nil
		})
		if err != nil {
			return nil, db.fail("push profiles", err)
		}
		rows, err = db.reader().query(ctx, `SELECT user_id, tag FROM push_user_tags
			WHERE app_id = ? AND user_id IN (`+placeholders(len(ids))+`)`, args...)
		err = each(rows, err, func(r *sql.Rows) error {
			var id, tag string
			if err := r.Scan(&id, &tag); err != nil {
				return err
			}
			profile(id).Tags[tag] = true
			return nil
		})
		if err != nil {
			return nil, db.fail("push profiles", err)
		}
	}
	return out, nil
}

// SetPushAttrs implements im.PushStore. A user who is not an account
// fails the row's foreign key, which rolls the whole request back.
func (db *DB) SetPushAttrs(ctx context.Context, app uint64, attrs []im.UserPushAttrs) error {
	return db.pushWrite(ctx, "set push attributes", func(ctx context.Context, c conn) error {
		for _, u := range attrs {
			for slot, value := range u.Attrs {
				if _, err := c.exec(ctx, `INSERT INTO push_user_attrs (app_id, user_id, slot, value) VALUES (?, ?, ?, ?)
					ON CONFLICT (app_id, user_id, slot) DO UPDATE SET value = excluded.value`,
					appID(app), u.UserID, slot, value); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// RemovePushAttrs implements im.PushStore.
func (db *DB) RemovePushAttrs(ctx context.Context, app uint64, slots []im.UserPushSlots) error {
	return db.pushWrite(ctx, "remove push attributes", func(ctx context.Context, c conn) error {
		for _, u := range slots {
			if len(u.Slots) == 0 {
				continue
			}
			args := []any{appID(app), u.UserID}
			for _, s := range u.Slots {
				args = append(args, s)
			}
			if _, err := c.exec(ctx, `DELETE FROM push_user_attrs WHERE app_id = ? AND user_id = ?
				AND slot IN (`+placeholders(len(u.Slots))+`)`, args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddPushTags implements im.PushStore.
func (db *DB) AddPushTags(ctx context.Context, app uint64, tags []im.UserPushTags, max int) error {
	return db.pushWrite(ctx, "add push tags", func(ctx context.Context, c conn) error {
		for _, u := range tags {
			for _, tag := range u.Tags {
				if _, err := c.exec(ctx, `INSERT INTO push_user_tags (app_id, user_id, tag) VALUES (?, ?, ?)
					ON CONFLICT (app_id, user_id, tag) DO NOTHING`, appID(app), u.UserID, tag); err != nil {
					return err
				}
			}
			var n int
			if err := c.queryRow(ctx, `SELECT COUNT(*) FROM push_user_tags WHERE app_id = ? AND user_id = ?`,
				appID(app), u.UserID).Scan(&n); err != nil {
				return err
			}
			if n > max {
				return fmt.Errorf("%s would hold %d tags: %w", u.UserID, n, im.ErrTooManyTags)
			}
		}
		return nil
	})
}

// RemovePushTags implements im.PushStore.
func (db *DB) RemovePushTags(ctx context.Context, app uint64, tags []im.UserPushTags) error {
	return db.pushWrite(ctx, "remove push tags", func(ctx context.Context, c conn) error {
		for _, u := range tags {
			if len(u.Tags) == 0 {
				continue
			}
			if _, err := c.exec(ctx, `DELETE FROM push_user_tags WHERE app_id = ? AND user_id = ?
				AND tag IN (`+placeholders(len(u.Tags))+`)`, withIDs(u.Tags, appID(app), u.UserID)...); err != nil {
				return err
			}
		}
		return nil
	})
}

// RemoveAllPushTags implements im.PushStore.
func (db *DB) RemoveAllPushTags(ctx context.Context, app uint64, userIDs []string) error {
	return db.pushWrite(ctx, "remove all push tags", func(ctx context.Context, c conn) error {
		for _, ids := range chunks(userIDs) {
			if _, err := c.exec(ctx, `DELETE FROM push_user_tags WHERE app_id = ?
				AND user_id IN (`+placeholders(len(ids))+`)`, withIDs(ids, appID(app))...); err != nil {
				return err
			}
		}
		return nil
	})
}

// pushWrite runs one attribute or tag write in a transaction.
func (db *DB) pushWrite(ctx context.Context, op string, fn func(ctx context.Context, c conn) error) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	if err := db.inTx(ctx, func(c conn) error { return fn(ctx, c) }); err != nil {
		return db.fail(op, err)
	}
	return nil
}

// pushColumns are the columns scanPush reads, in its order.
const pushColumns = `seq, msg_random, push_ms, expire_at, from_account, msg_body, offline_push_info, targeting`

func scanPush(r interface{ Scan(...any) error }, app uint64) (im.AllMemberPush, error) {
	p := im.AllMemberPush{AppID: app}
	var random int64
	var body, info, cond string
	if err := r.Scan(&p.Seq, &random, &p.TimeMs, &p.ExpireAt, &p.From, &body, &info, &cond); err != nil {
		return p, err
	}
	p.MsgRandom, p.Body = uint32(random), json.RawMessage(body)
	if info != "" {
		p.OfflinePushInfo = json.RawMessage(info)
	}
	if cond != "" {
		if err := json.Unmarshal([]byte(cond), &p.Condition); err != nil {
			return p, fmt.Errorf("push %d: condition: %w", p.Seq, err)
		}
	}
	return p, nil
}

// CommitPush implements im.PushStore. The app's head row is locked first
// (the upsert takes its row lock on PostgreSQL), so the duplicate check,
// the spacing and the quota see every push committed before, on any node.
func (db *DB) CommitPush(ctx context.Context, pc im.PushCommit) (im.AllMemberPush, bool, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	p := pc.Push
	a := appID(p.AppID)
	var out im.AllMemberPush
	var duplicate bool
	err := db.inTx(ctx, func(c conn) error {
		var lastSeq, lastMs int64
		if err := c.queryRow(ctx, `INSERT INTO push_heads (app_id, last_seq, last_push_ms) VALUES (?, 0, 0)
			ON CONFLICT (app_id) DO UPDATE SET last_seq = push_heads.last_seq RETURNING last_seq, last_push_ms`, a).
			Scan(&lastSeq, &lastMs); err != nil {
			return err
		}
		orig, err := scanPush(c.queryRow(ctx, `SELECT `+pushColumns+` FROM all_member_pushes
			WHERE app_id = ? AND msg_random = ? AND push_ms >= ? ORDER BY seq DESC LIMIT 1`,
			a, int64(p.MsgRandom), pc.DedupSinceMs), p.AppID)
		switch {
		case err == nil:
			out, duplicate = orig, true
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if lastSeq > 0 && p.TimeMs-lastMs < pc.MinGapMs {
			return im.ErrPushTooSoon
		}
		var today int
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM all_member_pushes WHERE app_id = ? AND push_ms >= ?`,
			a, pc.DayStartMs).Scan(&today); err != nil {
			return err
		}
		if today >= pc.DailyLimit {
			return im.ErrPushQuota
		}
		cond := ""
		if !p.Condition.Empty() {
			b, err := json.Marshal(p.Condition)
			if err != nil {
				return fmt.Errorf("encode condition: %w", err)
			}
			cond = string(b)
		}
		p.Seq = lastSeq + 1
		if _, err := c.exec(ctx, `UPDATE push_heads SET last_seq = ?, last_push_ms = ? WHERE app_id = ?`, p.Seq, p.TimeMs, a); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `INSERT INTO all_member_pushes (app_id, seq, msg_random, push_ms, expire_at, from_account,
			msg_body, offline_push_info, targeting) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a, p.Seq, int64(p.MsgRandom), p.TimeMs, p.ExpireAt, p.From, string(p.Body), string(p.OfflinePushInfo), cond); err != nil {
			return err
		}
		out = p
		_, err = c.exec(ctx, `DELETE FROM all_member_pushes WHERE app_id = ? AND push_ms < ?`, a, pc.DedupSinceMs)
		return err
	})
	if err != nil {
		return im.AllMemberPush{}, false, db.fail("commit push", err)
	}
	return out, duplicate, nil
}

// ListPushes implements im.PushStore.
func (db *DB) ListPushes(ctx context.Context, app uint64, after, now int64, limit int) ([]im.AllMemberPush, int64, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var head int64
	err := db.reader().queryRow(ctx, `SELECT last_seq FROM push_heads WHERE app_id = ?`, appID(app)).Scan(&head)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, db.fail("list pushes", err)
	}
	var out []im.AllMemberPush
	rows, err := db.reader().query(ctx, `SELECT `+pushColumns+` FROM all_member_pushes
		WHERE app_id = ? AND seq > ? AND expire_at > ? ORDER BY seq LIMIT ?`, appID(app), after, now, limit)
	err = each(rows, err, func(r *sql.Rows) error {
		p, err := scanPush(r, app)
		out = append(out, p)
		return err
	})
	if err != nil {
		return nil, 0, db.fail("list pushes", err)
	}
	return out, head, nil
}
