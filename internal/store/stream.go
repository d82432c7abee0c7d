package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/chatd/chatd/internal/im"
)

var _ im.StreamStore = (*DB)(nil)

// CommitStream implements im.StreamStore. One transaction runs in three
// passes so that two nodes committing at once never deadlock and a
// duplicate takes no group sequence number:
//
//  1. Lock the groups the writes touch, in key order (a no-op UPDATE takes
//     the row lock on PostgreSQL; SQLite's write transaction already holds
//     the database), and find the duplicate group messages, which every
//     earlier append to those groups is now visible to.
//  2. Take the sequence numbers: each group's MsgSeq and EventSeq
//     counters, then each user's stream counter, locking them in key order
//     (one UPDATE per counter, or on PostgreSQL two statements for all the
//     users of the batch).
//  3. Insert the rows. A one-to-one duplicate is found here, by its
//     duplicate key's insert; it writes nothing, but its users' numbers are
//     already taken, so their streams skip them (clients treat a skipped
//     number like any gap: a sync returns nothing for it).
func (db *DB) CommitStream(ctx context.Context, writes []im.StreamWrite) ([]im.StreamResult, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var results []im.StreamResult
	err := db.inTx(ctx, func(c conn) error {
		var err error
		results, err = commitStreamIn(ctx, c, writes)
		return err
	})
	if err != nil {
		return nil, db.fail("commit stream", err)
	}
	return results, nil
}

// commitStreamIn runs CommitStream's passes inside an open transaction.
// Store methods that change a stored message (a recall, a modification, a
// read mark) call it to record the events about the change atomically with
// it: the numbers are taken the same way, so they stay unique and in order.
// A method that does must lock rows in CommitStream's order: groups, then
// accounts (the change itself may come first: it locks message rows only).
func commitStreamIn(ctx context.Context, c conn, writes []im.StreamWrite) ([]im.StreamResult, error) {
	results := make([]im.StreamResult, len(writes))
	tx := &streamTx{c: c, writes: writes, results: results}
	if err := tx.lockGroups(ctx); err != nil {
		return nil, err
	}
	if err := tx.takeGroupSeqs(ctx); err != nil {
		return nil, err
	}
	if err := tx.takeUserSeqs(ctx); err != nil {
		return nil, err
	}
	if err := tx.insert(ctx); err != nil {
		return nil, err
	}
	if err := tx.keepConversations(ctx); err != nil {
		return nil, err
	}
	if err := tx.countUnread(ctx); err != nil {
		return nil, err
	}
	if err := tx.insertCallbacks(ctx); err != nil {
		return nil, err
	}
	return results, nil
}

// streamTx is one CommitStream transaction.
type streamTx struct {
	c       conn
	writes  []im.StreamWrite
	results []im.StreamResult
	// groups holds, per touched group, what the batch takes from it.
	groups map[groupKey]*groupCounters
}

type groupKey struct {
	app   uint64
	group string
}

type groupCounters struct {
	exists   bool
	msgs     int   // messages that take a MsgSeq
	events   int   // events that take an EventSeq
	lastTime int64 // the batch's last message time, for last_msg_time
	nextMsg  int64 // the next MsgSeq to hand out in this batch
	nextEvt  int64 // the next EventSeq to hand out in this batch
}

// failed reports whether write i is out: its group is missing, or its
// message was sent before.
func (tx *streamTx) failed(i int) bool {
	return tx.results[i].Err != nil || tx.results[i].Duplicate
}

func (tx *streamTx) lockGroups(ctx context.Context) error {
	tx.groups = map[groupKey]*groupCounters{}
	for _, w := range tx.writes {
		if w.Group != nil {
			tx.groups[groupKey{w.AppID, w.Group.Msg.GroupID}] = &groupCounters{}
		}
		for _, e := range w.GroupEvents {
			tx.groups[groupKey{w.AppID, e.GroupID}] = &groupCounters{}
		}
	}
	for _, k := range sortedGroupKeys(tx.groups) {
		err := tx.c.queryRow(ctx, `UPDATE groups SET event_seq = event_seq WHERE app_id = ? AND group_id = ? RETURNING app_id`,
			appID(k.app), k.group).Scan(new(int64))
		switch {
		case err == nil:
			tx.groups[k].exists = true
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
	}
	// Duplicates are checked against every earlier append (visible now
	// that the groups are locked) and against earlier writes of this batch.
	inBatch := map[groupDedupKey]int{}
	for i, w := range tx.writes {
		missing := w.Group != nil && !tx.groups[groupKey{w.AppID, w.Group.Msg.GroupID}].exists
		for _, e := range w.GroupEvents {
			missing = missing || !tx.groups[groupKey{w.AppID, e.GroupID}].exists
		}
		if missing {
			tx.results[i].Err = im.ErrNotFound
			continue
		}
		if w.Group == nil || w.Group.DedupSince == 0 {
			continue
		}
		g := w.Group
		key := groupDedupKey{w.AppID, g.Msg.GroupID, g.Msg.Random, g.ContentHash}
		if j, ok := inBatch[key]; ok {
			tx.results[i].Duplicate = true
			tx.results[i].GroupSeq = -int64(j) - 1 // filled in from write j once it has its number
			continue
		}
		err := tx.c.queryRow(ctx, `SELECT msg_seq, msg_time FROM group_msg_dedup
			WHERE app_id = ? AND group_id = ? AND msg_random = ? AND content_hash = ? AND msg_time >= ?`,
			appID(w.AppID), g.Msg.GroupID, int64(g.Msg.Random), g.ContentHash, g.DedupSince).
			Scan(&tx.results[i].GroupSeq, &tx.results[i].GroupTime)
		switch {
		case err == nil:
			tx.results[i].Duplicate = true
		case errors.Is(err, sql.ErrNoRows):
			inBatch[key] = i
		default:
			return err
		}
	}
	return nil
}

type groupDedupKey struct {
	app    uint64
	group  string
	random uint32
	hash   int64
}

func sortedGroupKeys(m map[groupKey]*groupCounters) []groupKey {
	keys := make([]groupKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b groupKey) int { return cmp.Or(cmp.Compare(a.app, b.app), strings.Compare(a.group, b.group)) })
	return keys
}

func (tx *streamTx) takeGroupSeqs(ctx context.Context) error {
	for i, w := range tx.writes {
		if tx.failed(i) {
			continue
		}
		if w.Group != nil {
			gc := tx.groups[groupKey{w.AppID, w.Group.Msg.GroupID}]
			gc.msgs++
			gc.lastTime = w.Group.Msg.Time
		}
		for _, e := range w.GroupEvents {
			tx.groups[groupKey{w.AppID, e.GroupID}].events++
		}
	}
	for _, k := range sortedGroupKeys(tx.groups) {
		gc := tx.groups[k]
		if gc.msgs == 0 && gc.events == 0 {
			continue
		}
		// next_msg_seq is the next MsgSeq to hand out; a group created with
		// 0 still starts at 1.
		var next, last int64
		if err := tx.c.queryRow(ctx, `UPDATE groups SET
			next_msg_seq = CASE WHEN next_msg_seq < 1 THEN 1 ELSE next_msg_seq END + ?,
			event_seq = event_seq + ?,
			last_msg_time = CASE WHEN ? > 0 THEN ? ELSE last_msg_time END
			WHERE app_id = ? AND group_id = ? RETURNING next_msg_seq, event_seq`,
			gc.msgs, gc.events, gc.msgs, gc.lastTime, appID(k.app), k.group).Scan(&next, &last); err != nil {
			return err
		}
		gc.nextMsg, gc.nextEvt = next-int64(gc.msgs), last-int64(gc.events)+1
	}
	for i, w := range tx.writes {
		r := &tx.results[i]
		if tx.failed(i) {
			continue
		}
		if w.Group != nil {
			gc := tx.groups[groupKey{w.AppID, w.Group.Msg.GroupID}]
			r.GroupSeq, r.GroupTime = gc.nextMsg, w.Group.Msg.Time
			gc.nextMsg++
		}
		r.GroupEventSeqs = make([]int64, len(w.GroupEvents))
		for j, e := range w.GroupEvents {
			gc := tx.groups[groupKey{w.AppID, e.GroupID}]
			r.GroupEventSeqs[j] = gc.nextEvt
			gc.nextEvt++
		}
	}
	// A duplicate of an earlier write of this batch answers with its number.
	for i := range tx.results {
		if r := &tx.results[i]; r.Duplicate && r.GroupSeq < 0 {
			orig := tx.results[-r.GroupSeq-1]
			r.GroupSeq, r.GroupTime = orig.GroupSeq, orig.GroupTime
		}
	}
	return nil
}

type userKey struct {
	app  uint64
	user string
}

// takeUserSeqs takes each user's stream numbers with one UPDATE per user;
// a user who is not an account gets none, and their events are dropped.
func (tx *streamTx) takeUserSeqs(ctx context.Context) error {
	counts := map[userKey]int64{}
	for i, w := range tx.writes {
		if tx.failed(i) {
			continue
		}
		for _, e := range w.UserEvents {
			counts[userKey{w.AppID, e.UserID}]++
		}
	}
	if len(counts) == 0 {
		return nil
	}
	keys := make([]userKey, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b userKey) int { return cmp.Or(cmp.Compare(a.app, b.app), strings.Compare(a.user, b.user)) })
	next := make(map[userKey]int64, len(keys))
	var err error
	if tx.c.d.Name == "postgres" {
		err = tx.bumpUserSeqsLocked(ctx, keys, counts, next)
	} else {
		err = tx.bumpUserSeqs(ctx, keys, counts, next)
	}
	if err != nil {
		return err
	}
	for i, w := range tx.writes {
		if tx.failed(i) {
			continue
		}
		seqs := make([]int64, len(w.UserEvents))
		for j, e := range w.UserEvents {
			k := userKey{w.AppID, e.UserID}
			if n, ok := next[k]; ok {
				seqs[j] = n
				next[k] = n + 1
			}
		}
		tx.results[i].UserSeqs = seqs
	}
	return nil
}

// bumpUserSeqs takes the numbers with one UPDATE per user, in key order
// (keys is sorted): SQLite runs it prepared (writeStmts), each one a
// primary-key update without a round trip.
func (tx *streamTx) bumpUserSeqs(ctx context.Context, keys []userKey, counts, next map[userKey]int64) error {
	for _, k := range keys {
		var last int64
		err := tx.c.queryRow(ctx, `UPDATE accounts SET event_seq = event_seq + ? WHERE app_id = ? AND user_id = ? RETURNING event_seq`,
			counts[k], appID(k.app), k.user).Scan(&last)
		switch {
		case err == nil:
			next[k] = last - counts[k] + 1
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
	}
	return nil
}

// bumpUserSeqsLocked is bumpUserSeqs for PostgreSQL in a few statements
// per app, whatever the number of users, instead of a round trip per user:
// lockAccounts locks the rows in byte order (SELECT … ORDER BY … FOR
// UPDATE), the order every transaction takes account rows in, so two
// nodes' batches never deadlock; then one UPDATE over arrays bumps them
// all.
func (tx *streamTx) bumpUserSeqsLocked(ctx context.Context, keys []userKey, counts, next map[userKey]int64) error {
	for len(keys) > 0 {
		app := keys[0].app
		n := 1
		for n < len(keys) && keys[n].app == app {
			n++
		}
		users, adds := make([]string, n), make([]int64, n)
		for i, k := range keys[:n] {
			users[i], adds[i] = k.user, counts[k]
		}
		keys = keys[n:]
		if _, err := lockAccounts(ctx, tx.c, app, users); err != nil {
			return err
		}
		rows, err := tx.c.query(ctx, `UPDATE accounts AS a SET event_seq = a.event_seq + v.n
			FROM unnest(?::text[], ?::bigint[]) AS v(user_id, n)
			WHERE a.app_id = ? AND a.user_id = v.user_id RETURNING a.user_id, a.event_seq`, users, adds, appID(app))
		err = each(rows, err, func(r *sql.Rows) error {
			var user string
			var last int64
			if err := r.Scan(&user, &last); err != nil {
				return err
			}
			k := userKey{app, user}
			next[k] = last - counts[k] + 1
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// insert writes the rows. Stream entries go in multi-row INSERTs per table
// (insertRows: a statement costs PostgreSQL a round trip whatever its rows).
func (tx *streamTx) insert(ctx context.Context) error {
	// One-to-one messages first: a duplicate writes nothing else.
	if err := tx.insertC2Cs(ctx); err != nil {
		return err
	}
	var groupEvents, userEvents []any
	for i, w := range tx.writes {
		if tx.failed(i) {
			continue
		}
		r := &tx.results[i]
		if w.Group != nil {
			if err := tx.insertGroupMessage(ctx, w, r); err != nil {
				return err
			}
		}
		for j, e := range w.GroupEvents {
			groupEvents = append(groupEvents, appID(w.AppID), e.GroupID, r.GroupEventSeqs[j], w.Time, string(e.Payload))
		}
		for j, e := range w.UserEvents {
			if r.UserSeqs[j] != 0 {
				userEvents = append(userEvents, appID(w.AppID), e.UserID, r.UserSeqs[j], w.Time, e.ExpireAt, string(e.Payload))
			}
		}
	}
	if err := tx.insertRows(ctx, `INSERT INTO group_events (app_id, group_id, seq, event_time, payload) VALUES `, 5, groupEvents, "", nil); err != nil {
		return err
	}
	return tx.insertRows(ctx, `INSERT INTO user_events (app_id, user_id, seq, event_time, expire_at, payload) VALUES `, 6, userEvents, "", nil)
}

// maxParams bounds the parameters of one statement: SQLite's limit
// (SQLITE_MAX_VARIABLE_NUMBER); PostgreSQL's is 65535.
const maxParams = 32766

// insertRows runs head ("INSERT INTO t (a, b) VALUES ") with values, the
// rows' values one row after another, cols per row; tail follows the
// VALUES (ON CONFLICT, RETURNING). scan, when not nil, reads each returned
// row. The rows go in multi-row statements of a few fixed sizes (the
// largest first), so a batch of any size runs texts the engine has
// prepared before.
func (tx *streamTx) insertRows(ctx context.Context, head string, cols int, values []any, tail string, scan func(*sql.Rows) error) error {
	return tx.insertRowsAs(ctx, head, "("+placeholders(cols)+")", cols, values, tail, scan)
}

// rowsLadder are the row counts of one multi-row statement, largest first.
var rowsLadder = []int{256, 64, 16, 4, 1}

// insertRowsAs is insertRows with each row written as row, an expression
// list with cols placeholders.
func (tx *streamTx) insertRowsAs(ctx context.Context, head, row string, cols int, values []any, tail string, scan func(*sql.Rows) error) error {
	for start := 0; start < len(values); {
		left := (len(values) - start) / cols
		rows := 1
		for _, n := range rowsLadder {
			if n <= left && n*cols <= maxParams {
				rows = n
				break
			}
		}
		chunk := values[start : start+rows*cols]
		start += rows * cols
		q := valuesSQL(head, row, rows, tail)
		var err error
		if scan == nil {
			_, err = tx.c.exec(ctx, q, chunk...)
		} else {
			rows, qerr := tx.c.query(ctx, q, chunk...)
			err = each(rows, qerr, scan)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// valuesSQL writes a multi-row INSERT of rows rows.
func valuesSQL(head, row string, rows int, tail string) string {
	var b strings.Builder
	b.Grow(len(head) + len(tail) + rows*(len(row)+2))
	b.WriteString(head)
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(tail)
	return b.String()
}

// c2cDedupKey is a one-to-one message's duplicate key: sender, recipient,
// MsgSeq, MsgRandom and content.
type c2cDedupKey struct {
	app              int64
	from, to         string
	seq, random, sum int64
}

// c2cHistoryKey is a one-to-one message's key in the history: the
// conversation, MsgTime, MsgSeq and MsgRandom.
type c2cHistoryKey struct {
	app               int64
	lo, hi            string
	time, seq, random int64
}

func dedupKeyOf(w im.StreamWrite) c2cDedupKey {
	m := &w.C2C.Msg
	return c2cDedupKey{appID(w.AppID), m.From, m.To, int64(m.Seq), int64(m.Random), w.C2C.ContentHash}
}

func historyKeyOf(w im.StreamWrite) c2cHistoryKey {
	m := &w.C2C.Msg
	lo, hi := conversation(m.From, m.To)
	return c2cHistoryKey{appID(w.AppID), lo, hi, m.Time, int64(m.Seq), int64(m.Random)}
}

// insertC2Cs stores the batch's one-to-one messages and marks the
// duplicates: of a send within the dedup window (its duplicate key is
// taken and still fresh), or of a message already in the history under
// the same key. When no two of the batch's messages share a key, which is
// the rule, they are stored together (insertC2CSet); otherwise one at a
// time in order, so that a message sent twice in one batch is decided
// exactly as if the two were in two batches.
func (tx *streamTx) insertC2Cs(ctx context.Context) error {
	var all []int
	dedupKeys := map[c2cDedupKey]bool{}
	historyKeys := map[c2cHistoryKey]bool{}
	shared := false
	for i, w := range tx.writes {
		if tx.failed(i) || w.C2C == nil || !w.C2C.Keep {
			continue
		}
		all = append(all, i)
		if w.C2C.DedupSince > 0 {
			k := dedupKeyOf(w)
			shared = shared || dedupKeys[k]
			dedupKeys[k] = true
		}
		k := historyKeyOf(w)
		shared = shared || historyKeys[k]
		historyKeys[k] = true
	}
	if !shared {
		return tx.insertC2CSet(ctx, all)
	}
	for _, i := range all {
		if err := tx.insertC2CSet(ctx, []int{i}); err != nil {
			return err
		}
	}
	return nil
}

// insertC2CSet stores the messages of writes idx, whose keys are all
// distinct, with one multi-row INSERT per table: their duplicate keys,
// then the history rows of those that are not duplicates. Each INSERT
// skips the keys already stored and returns the ones it wrote; a message
// whose duplicate key was there already goes through takeDedupKey.
func (tx *streamTx) insertC2CSet(ctx context.Context, idx []int) error {
	var keys []any
	for _, i := range idx {
		if w := tx.writes[i]; w.C2C.DedupSince > 0 {
			k := dedupKeyOf(w)
			keys = append(keys, k.app, k.from, k.to, k.seq, k.random, k.sum, w.C2C.Msg.Time)
		}
	}
	claimed := map[c2cDedupKey]bool{}
	err := tx.insertRows(ctx, `INSERT INTO c2c_dedup (app_id, from_account, to_account, msg_seq, msg_random, content_hash, msg_time) VALUES `, 7, keys,
		` ON CONFLICT (app_id, from_account, to_account, msg_seq, msg_random, content_hash) DO NOTHING
		RETURNING app_id, from_account, to_account, msg_seq, msg_random, content_hash`,
		func(r *sql.Rows) error {
			var k c2cDedupKey
			if err := r.Scan(&k.app, &k.from, &k.to, &k.seq, &k.random, &k.sum); err != nil {
				return err
			}
			claimed[k] = true
			return nil
		})
	if err != nil {
		return err
	}
	var rows []any
	for _, i := range idx {
		w, r := tx.writes[i], &tx.results[i]
		if w.C2C.DedupSince > 0 && !claimed[dedupKeyOf(w)] {
			if err := tx.takeDedupKey(ctx, w, r); err != nil {
				return err
			}
			if r.Duplicate {
				continue
			}
		}
		m := &w.C2C.Msg
		lo, hi := conversation(m.From, m.To)
		rows = append(rows, appID(w.AppID), lo, hi, m.Time, int64(m.Seq), int64(m.Random), m.From, m.To, string(m.Body),
			append([]byte{}, m.CloudCustomData...), string(m.OfflinePushInfo), m.FlagBits, m.SupportExtension, m.NeedReadReceipt,
			m.PeerRead, m.HiddenFromSender, m.HiddenFromRecipient)
	}
	stored := map[c2cHistoryKey]bool{}
	err = tx.insertRows(ctx, `INSERT INTO c2c_messages (app_id, user_lo, user_hi, msg_time, msg_seq, msg_random,
		from_account, to_account, msg_body, cloud_custom_data, offline_push_info, flag_bits, support_ext, need_receipt,
		peer_read, hidden_from_sender, hidden_from_recipient) VALUES `, 17, rows,
		` ON CONFLICT (app_id, user_lo, user_hi, msg_time, msg_seq, msg_random) DO NOTHING
		RETURNING app_id, user_lo, user_hi, msg_time, msg_seq, msg_random`,
		func(r *sql.Rows) error {
			var k c2cHistoryKey
			if err := r.Scan(&k.app, &k.lo, &k.hi, &k.time, &k.seq, &k.random); err != nil {
				return err
			}
			stored[k] = true
			return nil
		})
	if err != nil {
		return err
	}
	for _, i := range idx {
		if w, r := tx.writes[i], &tx.results[i]; !r.Duplicate && !stored[historyKeyOf(w)] {
			r.Duplicate, r.C2CTime = true, w.C2C.Msg.Time
		}
	}
	return nil
}

// takeDedupKey decides a message whose duplicate key was stored before
// this transaction: a fresh key makes it a duplicate, answered with the
// time of the message that holds the key; a stale one (older than the
// window, not pruned yet) is taken over.
func (tx *streamTx) takeDedupKey(ctx context.Context, w im.StreamWrite, r *im.StreamResult) error {
	a, m := w.C2C, &w.C2C.Msg
	res, err := tx.c.exec(ctx, `INSERT INTO c2c_dedup (app_id, from_account, to_account, msg_seq, msg_random, content_hash, msg_time)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (app_id, from_account, to_account, msg_seq, msg_random, content_hash)
		DO UPDATE SET msg_time = excluded.msg_time WHERE c2c_dedup.msg_time < ?`,
		appID(w.AppID), m.From, m.To, int64(m.Seq), int64(m.Random), a.ContentHash, m.Time, a.DedupSince)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	r.Duplicate = true
	return tx.c.queryRow(ctx, `SELECT msg_time FROM c2c_dedup WHERE app_id = ? AND from_account = ? AND to_account = ?
		AND msg_seq = ? AND msg_random = ? AND content_hash = ?`,
		appID(w.AppID), m.From, m.To, int64(m.Seq), int64(m.Random), a.ContentHash).Scan(&r.C2CTime)
}

func (tx *streamTx) insertGroupMessage(ctx context.Context, w im.StreamWrite, r *im.StreamResult) error {
	g, m, a := w.Group, &w.Group.Msg, appID(w.AppID)
	if g.DedupSince > 0 {
		// A stale key of the same message (older than the window, not
		// pruned yet) is replaced.
		if _, err := tx.c.exec(ctx, `INSERT INTO group_msg_dedup (app_id, group_id, msg_random, content_hash, msg_seq, msg_time)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (app_id, group_id, msg_random, content_hash)
			DO UPDATE SET msg_seq = excluded.msg_seq, msg_time = excluded.msg_time`,
			a, m.GroupID, int64(m.Random), g.ContentHash, r.GroupSeq, m.Time); err != nil {
			return err
		}
	}
	if g.Keep {
		to, err := encodeIDs(m.To)
		if err != nil {
			return err
		}
		if _, err := tx.c.exec(ctx, `INSERT INTO group_messages (app_id, group_id, msg_seq, from_account, msg_time,
			msg_random, msg_priority, msg_body, cloud_custom_data, offline_push_info, to_accounts, at_info,
			need_receipt, support_ext) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a, m.GroupID, r.GroupSeq, m.From, m.Time, int64(m.Random), m.Priority, string(m.Body),
			append([]byte{}, m.CloudCustomData...), string(m.OfflinePushInfo), to, string(m.AtInfo),
			m.NeedReadReceipt, m.SupportExtension); err != nil {
			return err
		}
	}
	// Sending reads the group up to the message (the sender's read
	// position, from which the conversation list derives unread counts).
	_, err := tx.c.exec(ctx, `UPDATE group_members SET last_send_msg_time = ?,
		msg_seq = CASE WHEN msg_seq < ? THEN ? ELSE msg_seq END WHERE app_id = ? AND group_id = ? AND user_id = ?`,
		m.Time, r.GroupSeq, r.GroupSeq, a, m.GroupID, m.From)
	return err
}

// conversation orders a one-to-one conversation's two UserIDs bytewise.
func conversation(a, b string) (lo, hi string) {
	if a <= b {
		return a, b
	}
	return b, a
}

// encodeIDs stores a list of IDs (UserIDs, conversation group IDs) as a
// JSON array, "" when empty.
func encodeIDs[T any](ids []T) (string, error) {
	if len(ids) == 0 {
		return "", nil
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return "", fmt.Errorf("encode ids: %w", err)
	}
	return string(b), nil
}

func decodeIDs(s string) ([]string, error) { return decodeList[string](s) }

// decodeList reads a list encodeIDs wrote.
func decodeList[T any](s string) ([]T, error) {
	if s == "" {
		return nil, nil
	}
	var ids []T
	if err := json.Unmarshal([]byte(s), &ids); err != nil {
		return nil, fmt.Errorf("decode ids: %w", err)
	}
	return ids, nil
}

// ListUserEvents implements im.StreamStore.
func (db *DB) ListUserEvents(ctx context.Context, app uint64, userID string, after, now int64, limit int) ([]im.UserEvent, int64, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var head int64
	err := db.reader().queryRow(ctx, `SELECT event_seq FROM accounts WHERE app_id = ? AND user_id = ?`, appID(app), userID).Scan(&head)
	if err != nil {
		return nil, 0, db.fail("list user events", err)
	}
	var out []im.UserEvent
	err = scanEntries(db.reader().query(ctx, `SELECT seq, event_time, payload FROM user_events
		WHERE app_id = ? AND user_id = ? AND seq > ? AND expire_at > ? ORDER BY seq LIMIT ?`,
		appID(app), userID, after, now, limit))(func(seq, time int64, payload json.RawMessage) {
		out = append(out, im.UserEvent{Seq: seq, Time: time, Payload: payload})
	})
	if err != nil {
		return nil, 0, db.fail("list user events", err)
	}
	return out, head, nil
}

// scanEntries reads (seq, event_time, payload) rows of a stream, handing
// each to add; it takes the query's results as they come, so a call site
// reads as one step.
func scanEntries(rows *sql.Rows, err error) func(add func(seq, time int64, payload json.RawMessage)) error {
	return func(add func(seq, time int64, payload json.RawMessage)) error {
		return each(rows, err, func(r *sql.Rows) error {
			var seq, time int64
			var payload string
			if err := r.Scan(&seq, &time, &payload); err != nil {
				return err
			}
			add(seq, time, json.RawMessage(payload))
			return nil
		})
	}
}

// ListGroupEvents implements im.StreamStore.
func (db *DB) ListGroupEvents(ctx context.Context, app uint64, groupID string, after int64, limit int) ([]im.GroupEvent, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out []im.GroupEvent
	err := scanEntries(db.reader().query(ctx, `SELECT seq, event_time, payload FROM group_events
		WHERE app_id = ? AND group_id = ? AND seq > ? ORDER BY seq LIMIT ?`, appID(app), groupID, after, limit))(
		func(seq, time int64, payload json.RawMessage) {
			out = append(out, im.GroupEvent{Seq: seq, Time: time, Payload: payload})
		})
	if err != nil {
		return nil, db.fail("list group events", err)
	}
	return out, nil
}

// ListGroupHeads implements im.StreamStore.
func (db *DB) ListGroupHeads(ctx context.Context, app uint64, userID string) ([]im.GroupHead, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var out []im.GroupHead
	rows, err := db.reader().query(ctx, `SELECT g.group_id, g.group_type, g.next_msg_seq, g.event_seq
		FROM group_members m JOIN groups g ON g.app_id = m.app_id AND g.group_id = m.group_id
		WHERE m.app_id = ? AND m.user_id = ? AND g.group_type <> ? ORDER BY m.join_time, m.seq`,
		appID(app), userID, string(im.GroupAVChatRoom))
	err = each(rows, err, func(r *sql.Rows) error {
		var h im.GroupHead
		var next int64
		if err := r.Scan(&h.GroupID, &h.Type, &next, &h.EventSeq); err != nil {
			return err
		}
		h.MsgSeq = max(next-1, 0)
		out = append(out, h)
		return nil
	})
	if err != nil {
		return nil, db.fail("list group heads", err)
	}
	return out, nil
}

// PruneStreams implements im.StreamStore.
func (db *DB) PruneStreams(ctx context.Context, now, groupEventsBefore, c2cDedupBefore, groupDedupBefore int64) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.inTx(ctx, func(c conn) error {
		for _, q := range []struct {
			sql    string
			before int64
		}{
			{`DELETE FROM user_events WHERE expire_at <= ?`, now},
			{`DELETE FROM group_events WHERE event_time < ?`, groupEventsBefore},
			{`DELETE FROM c2c_dedup WHERE msg_time < ?`, c2cDedupBefore},
			{`DELETE FROM group_msg_dedup WHERE msg_time < ?`, groupDedupBefore},
		} {
			if _, err := c.exec(ctx, q.sql, q.before); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.fail("prune streams", err)
	}
	return nil
}
