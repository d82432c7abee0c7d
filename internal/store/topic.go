package store

import (
	"context"
	"database/sql"

	"github.com/chatd/chatd/internal/im"
)

// topicColumns are the columns scanTopic reads, in its order.
const topicColumns = `topic_id, name, face_url, notification, introduction, custom_string, mute_all_member,
	creator, create_time, last_msg_time, next_msg_seq`

func scanTopic(r interface{ Scan(...any) error }, app uint64, groupID string) (*im.Topic, error) {
	t := &im.Topic{AppID: app, GroupID: groupID}
	if err := r.Scan(&t.ID, &t.Name, &t.FaceURL, &t.Notification, &t.Introduction, &t.CustomString,
		&t.MuteAllMember, &t.Creator, &t.CreateTime, &t.LastMsgTime, &t.NextMsgSeq); err != nil {
		return nil, err
	}
	return t, nil
}

// CreateTopic implements im.GroupStore. The community's row is locked
// first, so concurrent creates count against one topic total.
func (db *DB) CreateTopic(ctx context.Context, t *im.Topic, limit int) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(t.AppID)
	err := db.inTx(ctx, func(c conn) error {
		if _, _, err := lockGroup(ctx, c, a, t.GroupID); err != nil {
			return err
		}
		var n int
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM group_topics WHERE app_id = ? AND group_id = ?`, a, t.GroupID).Scan(&n); err != nil {
			return err
		}
		if n >= limit {
			return im.ErrFull
		}
		_, err := c.exec(ctx, `INSERT INTO group_topics (app_id, group_id, `+topicColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a, t.GroupID, t.ID, t.Name, t.FaceURL, t.Notification, t.Introduction, t.CustomString,
			t.MuteAllMember, t.Creator, t.CreateTime, t.LastMsgTime, t.NextMsgSeq)
		return err
	})
	if err != nil {
		return db.fail("create topic", err)
	}
	return nil
}

// GetTopic implements im.GroupStore.
func (db *DB) GetTopic(ctx context.Context, app uint64, groupID, topicID string) (*im.Topic, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	t, err := scanTopic(db.reader().queryRow(ctx, `SELECT `+topicColumns+` FROM group_topics
		WHERE app_id = ? AND group_id = ? AND topic_id = ?`, appID(app), groupID, topicID), app, groupID)
	if err != nil {
		return nil, db.fail("get topic", err)
	}
	return t, nil
}

// ListTopics implements im.GroupStore.
func (db *DB) ListTopics(ctx context.Context, app uint64, groupID string) ([]im.Topic, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out []im.Topic
	rows, err := db.reader().query(ctx, `SELECT `+topicColumns+` FROM group_topics
		WHERE app_id = ? AND group_id = ? ORDER BY create_time, topic_id`+db.dialect.ByteOrder, appID(app), groupID)
	err = each(rows, err, func(r *sql.Rows) error {
		t, err := scanTopic(r, app, groupID)
		if err != nil {
			return err
		}
		out = append(out, *t)
		return nil
	})
	if err != nil {
		return nil, db.fail("list topics", err)
	}
	return out, nil
}

// UpdateTopic implements im.GroupStore.
func (db *DB) UpdateTopic(ctx context.Context, app uint64, groupID, topicID string, apply func(t *im.Topic) error) (*im.Topic, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(app)
	var t *im.Topic
	err := db.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE group_topics SET name = name WHERE app_id = ? AND group_id = ? AND topic_id = ?`,
			a, groupID, topicID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return im.ErrNotFound
		}
		t, err = scanTopic(c.queryRow(ctx, `SELECT `+topicColumns+` FROM group_topics
			WHERE app_id = ? AND group_id = ? AND topic_id = ?`, a, groupID, topicID), app, groupID)
		if err != nil {
			return err
		}
		if err := apply(t); err != nil {
			return err
		}
		_, err = c.exec(ctx, `UPDATE group_topics SET name = ?, face_url = ?, notification = ?, introduction = ?,
			custom_string = ?, mute_all_member = ? WHERE app_id = ? AND group_id = ? AND topic_id = ?`,
			t.Name, t.FaceURL, t.Notification, t.Introduction, t.CustomString, t.MuteAllMember, a, groupID, topicID)
		return err
	})
	if err != nil {
		return nil, db.fail("update topic", err)
	}
	return t, nil
}

// DeleteTopic implements im.GroupStore.
func (db *DB) DeleteTopic(ctx context.Context, app uint64, groupID, topicID string) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a := appID(app)
	err := db.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM group_topics WHERE app_id = ? AND group_id = ? AND topic_id = ?`, a, groupID, topicID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return im.ErrNotFound
		}
		_, err = c.exec(ctx, `DELETE FROM group_mutes WHERE app_id = ? AND group_id = ? AND topic_id = ?`, a, groupID, topicID)
		return err
	})
	if err != nil {
		return db.fail("delete topic", err)
	}
	return nil
}
