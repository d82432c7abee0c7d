package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/chatd/chatd/internal/im"
)

// AppendGroupMessages implements im.MessageStore.
func (db *DB) AppendGroupMessages(ctx context.Context, appends []im.GroupAppend) ([]im.StreamResult, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var results []im.StreamResult
	err := db.inTx(ctx, func(c conn) error {
		var err error
		results, err = appendIn(ctx, c, appends)
		return err
	})
	if err != nil {
		return nil, db.fail("append group messages", err)
	}
	return results, nil
}

// ImportGroupMessages implements im.MessageStore. The group's row is
// locked first, as by every send, so no message lands between the time
// check and the append.
func (db *DB) ImportGroupMessages(ctx context.Context, s im.MsgStream, appends []im.GroupAppend, now int64) ([]im.StreamResult, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	results := make([]im.StreamResult, len(appends))
	err := db.inTx(ctx, func(c conn) error {
		var created, last int64
		err := c.queryRow(ctx, `UPDATE groups SET event_seq = event_seq WHERE app_id = ? AND group_id = ?
			RETURNING create_time, last_msg_time`, appID(s.AppID), s.GroupID).Scan(&created, &last)
		if err != nil {
			return err
		}
		if s.TopicID != "" {
			if err := c.queryRow(ctx, `SELECT create_time, last_msg_time FROM group_topics
				WHERE app_id = ? AND group_id = ? AND topic_id = ?`, appID(s.AppID), s.GroupID, s.TopicID).Scan(&created, &last); err != nil {
				return err
			}
		}
		floor := max(created, last)
		var valid []im.GroupAppend
		var at []int
		for i, a := range appends {
			if t := a.Msg.Time; t > now || t < floor {
				results[i].Err = im.ErrMsgTime
				continue
			}
			floor = a.Msg.Time
			valid = append(valid, a)
			at = append(at, i)
		}
		got, err := appendIn(ctx, c, valid)
		if err != nil {
			return err
		}
		for j, r := range got {
			results[at[j]] = r
		}
		if s.TopicID != "" || len(valid) == 0 {
			return nil
		}
		// After an import every member has read the group (rest-messages.md,
		// import_group_msg): one statement, not one per member per message.
		_, err = c.exec(ctx, `UPDATE group_members SET msg_seq = (SELECT next_msg_seq - 1 FROM groups
			WHERE groups.app_id = group_members.app_id AND groups.group_id = group_members.group_id)
			WHERE app_id = ? AND group_id = ?`, appID(s.AppID), s.GroupID)
		return err
	})
	if err != nil {
		return nil, db.fail("import group messages", err)
	}
	return results, nil
}

// appendIn appends group messages in an open transaction. A group's own
// messages go through commitStreamIn, which takes their numbers; their
// SendMsgControl is stored after it. Topic messages take their topic's
// numbers here. When there are any, every group the batch touches is
// locked first, in key order, so the locks are taken in CommitStream's
// order (groups, then topics) whatever the mix.
func appendIn(ctx context.Context, c conn, appends []im.GroupAppend) ([]im.StreamResult, error) {
	results := make([]im.StreamResult, len(appends))
	topics := slices.ContainsFunc(appends, func(a im.GroupAppend) bool { return a.Msg.TopicID != "" })
	if topics {
		groups := map[groupKey]*groupCounters{}
		for _, a := range appends {
			groups[groupKey{a.Msg.AppID, a.Msg.GroupID}] = &groupCounters{}
		}
		for _, k := range sortedGroupKeys(groups) {
			err := c.queryRow(ctx, `UPDATE groups SET event_seq = event_seq WHERE app_id = ? AND group_id = ? RETURNING app_id`,
				appID(k.app), k.group).Scan(new(int64))
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return nil, err
			}
			groups[k].exists = true
		}
		for i, a := range appends {
			if !groups[groupKey{a.Msg.AppID, a.Msg.GroupID}].exists {
				results[i].Err = im.ErrNotFound
			}
		}
	}
	var writes []im.StreamWrite
	var at []int
	for i := range appends {
		if a := &appends[i]; a.Msg.TopicID == "" && results[i].Err == nil {
			writes = append(writes, im.StreamWrite{AppID: a.Msg.AppID, Time: a.Msg.Time, Group: a})
			at = append(at, i)
		}
	}
	if len(writes) > 0 {
		got, err := commitStreamIn(ctx, c, writes)
		if err != nil {
			return nil, err
		}
		for j, r := range got {
			results[at[j]] = r
			m, keep := writes[j].Group.Msg, writes[j].Group.Keep
			if r.Err != nil || r.Duplicate || !keep || !m.NoUnread && !m.NoLastMsg {
				continue
			}
			if _, err := c.exec(ctx, `UPDATE group_messages SET no_unread = ?, no_last_msg = ?
				WHERE app_id = ? AND group_id = ? AND msg_seq = ?`, m.NoUnread, m.NoLastMsg, appID(m.AppID), m.GroupID, r.GroupSeq); err != nil {
				return nil, err
			}
		}
	}
	if topics {
		if err := appendTopicsIn(ctx, c, appends, results); err != nil {
			return nil, err
		}
	}
	return results, nil
}

type topicKey struct {
	app   uint64
	group string
	topic string
}

// topicCounters is what a batch takes from one topic.
type topicCounters struct {
	msgs     int
	lastTime int64
	next     int64 // the next MsgSeq to hand out
	exists   bool
}

// appendTopicsIn appends the topic messages of a batch whose groups are
// locked: duplicates first (a duplicate takes no number), then each
// topic's numbers with one UPDATE, in key order, then the rows.
func appendTopicsIn(ctx context.Context, c conn, appends []im.GroupAppend, results []im.StreamResult) error {
	topics := map[topicKey]*topicCounters{}
	inBatch := map[groupDedupKey]int{}
	for i, a := range appends {
		m := &a.Msg
		if m.TopicID == "" || results[i].Err != nil {
			continue
		}
		if a.DedupSince > 0 {
			key := groupDedupKey{m.AppID, m.GroupID, m.Random, a.ContentHash}
			if j, ok := inBatch[key]; ok {
				results[i].Duplicate, results[i].GroupSeq = true, -int64(j)-1
				continue
			}
			err := c.queryRow(ctx, `SELECT msg_seq, msg_time FROM group_msg_dedup
				WHERE app_id = ? AND group_id = ? AND msg_random = ? AND content_hash = ? AND msg_time >= ?`,
				appID(m.AppID), m.GroupID, int64(m.Random), a.ContentHash, a.DedupSince).Scan(&results[i].GroupSeq, &results[i].GroupTime)
			switch {
			case err == nil:
				results[i].Duplicate = true
				continue
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
			inBatch[key] = i
		}
		k := topicKey{m.AppID, m.GroupID, m.TopicID}
		if topics[k] == nil {
			topics[k] = &topicCounters{}
		}
		topics[k].msgs++
		topics[k].lastTime = m.Time
	}
	keys := make([]topicKey, 0, len(topics))
	for k := range topics {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b topicKey) int {
		return cmp.Or(cmp.Compare(a.app, b.app), strings.Compare(a.group, b.group), strings.Compare(a.topic, b.topic))
	})
	for _, k := range keys {
		tc := topics[k]
		var next int64
		err := c.queryRow(ctx, `UPDATE group_topics SET next_msg_seq = next_msg_seq + ?, last_msg_time = ?
			WHERE app_id = ? AND group_id = ? AND topic_id = ? RETURNING next_msg_seq`,
			tc.msgs, tc.lastTime, appID(k.app), k.group, k.topic).Scan(&next)
		switch {
		case err == nil:
			tc.exists, tc.next = true, next-int64(tc.msgs)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
	}
	for i := range appends {
		a, r := &appends[i], &results[i]
		m := &a.Msg
		if m.TopicID == "" || r.Err != nil || r.Duplicate {
			continue
		}
		tc := topics[topicKey{m.AppID, m.GroupID, m.TopicID}]
		if !tc.exists {
			r.Err = im.ErrNotFound
			continue
		}
		r.GroupSeq, r.GroupTime = tc.next, m.Time
		tc.next++
		if err := insertTopicMessage(ctx, c, a, r.GroupSeq); err != nil {
			return err
		}
	}
	for i := range results {
		if r := &results[i]; r.Duplicate && r.GroupSeq < 0 {
			orig := results[-r.GroupSeq-1]
			r.GroupSeq, r.GroupTime = orig.GroupSeq, orig.GroupTime
			if orig.Err != nil {
				r.Err, r.Duplicate = orig.Err, false
			}
		}
	}
	return nil
}

// insertTopicMessage writes a topic message with its number: its
// duplicate key, the row when it is kept, and the sender's last send time.
func insertTopicMessage(ctx context.Context, c conn, a *im.GroupAppend, seq int64) error {
	m, app := &a.Msg, appID(a.Msg.AppID)
	if a.DedupSince > 0 {
		if _, err := c.exec(ctx, `INSERT INTO group_msg_dedup (app_id, group_id, msg_random, content_hash, msg_seq, msg_time)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (app_id, group_id, msg_random, content_hash)
			DO UPDATE SET msg_seq = excluded.msg_seq, msg_time = excluded.msg_time`,
			app, m.GroupID, int64(m.Random), a.ContentHash, seq, m.Time); err != nil {
			return err
		}
	}
	if a.Keep {
		to, err := encodeIDs(m.To)
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, `INSERT INTO group_topic_messages (app_id, group_id, topic_id, msg_seq, from_account,
			msg_time, msg_random, msg_priority, msg_body, cloud_custom_data, offline_push_info, to_accounts, at_info,
			need_receipt, support_ext, no_unread, no_last_msg) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			app, m.GroupID, m.TopicID, seq, m.From, m.Time, int64(m.Random), m.Priority, string(m.Body),
			append([]byte{}, m.CloudCustomData...), string(m.OfflinePushInfo), to, string(m.AtInfo),
			m.NeedReadReceipt, m.SupportExtension, m.NoUnread, m.NoLastMsg); err != nil {
			return err
		}
	}
	_, err := c.exec(ctx, `UPDATE group_members SET last_send_msg_time = ? WHERE app_id = ? AND group_id = ? AND user_id = ?`,
		m.Time, app, m.GroupID, m.From)
	return err
}
