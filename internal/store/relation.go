package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/chatd/chatd/internal/im"
)

var _ im.RelationStore = (*DB)(nil)

// relations reads relationship data over one conn: the read pool for the
// store's plain reads, a transaction inside UpdateRelations.
type relations struct{ c conn }

// readRelations runs one plain read, bounded and with its errors
// translated.
func readRelations[T any](db *DB, ctx context.Context, op string, fn func(ctx context.Context, r relations) (T, error)) (T, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	out, err := fn(ctx, relations{db.reader()})
	if err != nil {
		var zero T
		return zero, db.fail(op, err)
	}
	return out, nil
}

// Friends implements im.RelationReader.
func (db *DB) Friends(ctx context.Context, app uint64, owner string, peers []string) ([]im.Friend, error) {
	return readRelations(db, ctx, "friends", func(ctx context.Context, r relations) ([]im.Friend, error) {
		return r.Friends(ctx, app, owner, peers)
	})
}

// FriendOwners implements im.RelationReader.
func (db *DB) FriendOwners(ctx context.Context, app uint64, userID string, owners []string) ([]string, error) {
	return readRelations(db, ctx, "friend owners", func(ctx context.Context, r relations) ([]string, error) {
		return r.FriendOwners(ctx, app, userID, owners)
	})
}

// CountFriends implements im.RelationReader.
func (db *DB) CountFriends(ctx context.Context, app uint64, owners []string) (map[string]int, error) {
	return readRelations(db, ctx, "count friends", func(ctx context.Context, r relations) (map[string]int, error) {
		return r.CountFriends(ctx, app, owners)
	})
}

// FriendLists implements im.RelationReader.
func (db *DB) FriendLists(ctx context.Context, app uint64, owner string) ([]string, error) {
	return readRelations(db, ctx, "friend lists", func(ctx context.Context, r relations) ([]string, error) {
		return r.FriendLists(ctx, app, owner)
	})
}

// Blocks implements im.RelationReader.
func (db *DB) Blocks(ctx context.Context, app uint64, owner string, peers []string) ([]im.Block, error) {
	return readRelations(db, ctx, "blocks", func(ctx context.Context, r relations) ([]im.Block, error) {
		return r.Blocks(ctx, app, owner, peers)
	})
}

// Blockers implements im.RelationReader.
func (db *DB) Blockers(ctx context.Context, app uint64, userID string, owners []string) ([]string, error) {
	return readRelations(db, ctx, "blockers", func(ctx context.Context, r relations) ([]string, error) {
		return r.Blockers(ctx, app, userID, owners)
	})
}

// BlockPairs implements im.RelationStore.
func (db *DB) BlockPairs(ctx context.Context, app uint64, pairs []im.Pair) ([]im.Pair, error) {
	return readRelations(db, ctx, "block pairs", func(ctx context.Context, r relations) ([]im.Pair, error) {
		return r.BlockPairs(ctx, app, pairs)
	})
}

// FriendRequests implements im.RelationReader.
func (db *DB) FriendRequests(ctx context.Context, app uint64, userID string) ([]im.FriendRequest, error) {
	return readRelations(db, ctx, "friend requests", func(ctx context.Context, r relations) ([]im.FriendRequest, error) {
		return r.FriendRequests(ctx, app, userID)
	})
}

// RelationSeqs implements im.RelationReader.
func (db *DB) RelationSeqs(ctx context.Context, app uint64, owner string) (im.RelationSeqs, error) {
	return readRelations(db, ctx, "relation seqs", func(ctx context.Context, r relations) (im.RelationSeqs, error) {
		return r.RelationSeqs(ctx, app, owner)
	})
}

// UpdateRelations implements im.RelationStore.
func (db *DB) UpdateRelations(ctx context.Context, app uint64, users []string,
	decide func(r im.RelationReader, accounts map[string]bool) (*im.RelationWrite, error)) ([]im.StreamResult, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var results []im.StreamResult
	var decided error
	err := db.inTx(ctx, func(c conn) error {
		accounts, err := lockAccounts(ctx, c, app, users)
		if err != nil {
			return err
		}
		w, err := decide(relations{c}, accounts)
		if err != nil {
			decided = err
			return err
		}
		if w == nil {
			return nil
		}
		if err := applyRelations(ctx, c, app, w); err != nil {
			return err
		}
		results, err = commitStreamIn(ctx, c, w.Streams)
		return err
	})
	switch {
	case decided != nil:
		return nil, decided
	case err != nil:
		return nil, db.fail("update relations", err)
	}
	return results, nil
}

// lockAccounts takes the row lock of each user's account in byte order,
// the order stream commits lock them in, and returns those that exist.
// SQLite needs no row locks: its write transaction holds the database.
func lockAccounts(ctx context.Context, c conn, app uint64, users []string) (map[string]bool, error) {
	sorted := slices.Clone(users)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	lock := ""
	if c.d.Name == "postgres" {
		lock = " FOR UPDATE"
	}
	out := make(map[string]bool, len(sorted))
	for _, ids := range chunks(sorted) {
		rows, err := c.query(ctx, `SELECT user_id FROM accounts WHERE app_id = ? AND user_id IN (`+placeholders(len(ids))+`)
			ORDER BY user_id`+c.d.ByteOrder+lock, withIDs(ids, appID(app))...)
		err = each(rows, err, func(r *sql.Rows) error {
			var id string
			err := r.Scan(&id)
			out[id] = true
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// insertRows runs head's INSERT over rows (each with every column of
// head), with tail (the ON CONFLICT clause) after the values, as the
// stream commit writes its rows (streamTx.insertRows).
func insertRows(ctx context.Context, c conn, head, tail string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	values := make([]any, 0, len(rows)*len(rows[0]))
	for _, r := range rows {
		values = append(values, r...)
	}
	tx := &streamTx{c: c}
	return tx.insertRows(ctx, head+` VALUES `, len(rows[0]), values, ` `+tail, nil)
}

// deletePairs deletes pairs from table (owner column, peer column) with
// one statement per owner, or per peer when that takes fewer (removing
// one user from many tables).
func deletePairs(ctx context.Context, c conn, app uint64, table, ownerCol, peerCol string, pairs []im.Pair) error {
	byOwner, byPeer := map[string][]string{}, map[string][]string{}
	for _, p := range pairs {
		byOwner[p.Owner] = append(byOwner[p.Owner], p.Peer)
		byPeer[p.Peer] = append(byPeer[p.Peer], p.Owner)
	}
	groups, fixed, listed := byOwner, ownerCol, peerCol
	if len(byPeer) < len(byOwner) {
		groups, fixed, listed = byPeer, peerCol, ownerCol
	}
	for _, key := range slices.Sorted(maps.Keys(groups)) {
		for _, ids := range chunks(groups[key]) {
			if _, err := c.exec(ctx, `DELETE FROM `+table+` WHERE app_id = ? AND `+fixed+` = ? AND `+listed+` IN (`+
				placeholders(len(ids))+`)`, withIDs(ids, appID(app), key)...); err != nil {
				return err
			}
		}
	}
	return nil
}

// lastPerKey keeps the last of the items with the same key, in order: one
// multi-row upsert may not touch a row twice.
func lastPerKey[T any](items []T, key func(T) im.Pair) []T {
	last := map[im.Pair]int{}
	for i, it := range items {
		last[key(it)] = i
	}
	out := make([]T, 0, len(last))
	for i, it := range items {
		if last[key(it)] == i {
			out = append(out, it)
		}
	}
	return out
}

// applyRelations writes w's changes: deletions first, so that an entry
// deleted and put again by one write ends up put.
func applyRelations(ctx context.Context, c conn, app uint64, w *im.RelationWrite) error {
	a := appID(app)
	if err := deletePairs(ctx, c, app, "friends", "owner_id", "friend_id", w.DeleteFriends); err != nil {
		return err
	}
	if err := deletePairs(ctx, c, app, "blocks", "owner_id", "blocked_id", w.DeleteBlocks); err != nil {
		return err
	}
	if err := deletePairs(ctx, c, app, "friend_requests", "from_id", "to_id", w.DeleteRequests); err != nil {
		return err
	}
	for _, l := range w.DeleteLists {
		if _, err := c.exec(ctx, `DELETE FROM friend_lists WHERE app_id = ? AND owner_id = ? AND name = ?`, a, l.Owner, l.Name); err != nil {
			return err
		}
	}
	for _, l := range w.PutLists {
		if _, err := c.exec(ctx, `INSERT INTO friend_lists (app_id, owner_id, name, position)
			VALUES (?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM friend_lists WHERE app_id = ? AND owner_id = ?))
			ON CONFLICT (app_id, owner_id, name) DO NOTHING`, a, l.Owner, l.Name, a, l.Owner); err != nil {
			return err
		}
	}
	var friends, blocks, requests [][]any
	for _, f := range lastPerKey(w.PutFriends, func(f im.OwnedFriend) im.Pair { return im.Pair{Owner: f.Owner, Peer: f.UserID} }) {
		lists, err := encodeIDs(f.Lists)
		if err != nil {
			return err
		}
		custom, err := encodeTagValues(f.Custom)
		if err != nil {
			return err
		}
		friends = append(friends, []any{a, f.Owner, f.UserID, f.AddSource, f.AddWording, f.AddTime, f.Remark, f.RemarkTime, lists, custom})
	}
	for _, b := range lastPerKey(w.PutBlocks, func(b im.OwnedBlock) im.Pair { return im.Pair{Owner: b.Owner, Peer: b.UserID} }) {
		blocks = append(blocks, []any{a, b.Owner, b.UserID, b.Time})
	}
	for _, r := range lastPerKey(w.PutRequests, func(r im.FriendRequest) im.Pair { return im.Pair{Owner: r.From, Peer: r.To} }) {
		requests = append(requests, []any{a, r.To, r.From, r.AddSource, r.AddWording, r.Remark, r.List, r.Both, r.Time})
	}
	for _, ins := range []struct {
		head, tail string
		rows       [][]any
	}{
		{`INSERT INTO friends (app_id, owner_id, friend_id, add_source, add_wording, add_time, remark, remark_time, list_names, custom)`,
			`ON CONFLICT (app_id, owner_id, friend_id) DO UPDATE SET add_source = excluded.add_source,
			add_wording = excluded.add_wording, add_time = excluded.add_time, remark = excluded.remark,
			remark_time = excluded.remark_time, list_names = excluded.list_names, custom = excluded.custom`, friends},
		{`INSERT INTO blocks (app_id, owner_id, blocked_id, added_at)`,
			`ON CONFLICT (app_id, owner_id, blocked_id) DO UPDATE SET added_at = excluded.added_at`, blocks},
		{`INSERT INTO friend_requests (app_id, to_id, from_id, add_source, add_wording, remark, list_name, both_ways, created_at)`,
			`ON CONFLICT (app_id, to_id, from_id) DO UPDATE SET add_source = excluded.add_source,
			add_wording = excluded.add_wording, remark = excluded.remark, list_name = excluded.list_name,
			both_ways = excluded.both_ways, created_at = excluded.created_at`, requests},
	} {
		if err := insertRows(ctx, c, ins.head, ins.tail, ins.rows); err != nil {
			return err
		}
	}
	return advance(ctx, c, app, w.Advance)
}

// advance moves owners' versions on, one statement per distinct amount;
// UpdateRelations locked their accounts first.
func advance(ctx context.Context, c conn, app uint64, by map[string]im.RelationSeqs) error {
	owners := map[im.RelationSeqs][]string{}
	for o, d := range by {
		owners[d] = append(owners[d], o)
	}
	for d, ids := range owners {
		slices.Sort(ids)
		for _, part := range chunks(ids) {
			if _, err := c.exec(ctx, `UPDATE accounts SET friend_seq = friend_seq + ?, friend_custom_seq = friend_custom_seq + ?,
				friend_list_seq = friend_list_seq + ?, block_seq = block_seq + ? WHERE app_id = ? AND user_id IN (`+placeholders(len(part))+`)`,
				withIDs(part, d.Friends, d.Custom, d.Lists, d.Blocks, appID(app))...); err != nil {
				return err
			}
		}
	}
	return nil
}

// encodeTagValues stores custom fields as a JSON array, "" when none.
func encodeTagValues(tvs []im.TagValue) (string, error) {
	if len(tvs) == 0 {
		return "", nil
	}
	b, err := im.EncodeJSON(tvs)
	if err != nil {
		return "", fmt.Errorf("encode custom fields: %w", err)
	}
	return string(b), nil
}

// inIDs is the condition and arguments restricting column to ids, or
// nothing when ids is nil (no restriction).
func inIDs(column string, ids []string) (string, []any) {
	if ids == nil {
		return "", nil
	}
	return ` AND ` + column + ` IN (` + placeholders(len(ids)) + `)`, withIDs(ids)
}

// chunked runs fn over ids in IN-list sized pieces, once with nil when ids
// is nil, never when ids is empty.
func chunked(ids []string, fn func(ids []string) error) error {
	if ids == nil {
		return fn(nil)
	}
	for _, part := range chunks(ids) {
		if err := fn(part); err != nil {
			return err
		}
	}
	return nil
}

// Friends reads owner's friend entries.
func (r relations) Friends(ctx context.Context, app uint64, owner string, peers []string) ([]im.Friend, error) {
	var out []im.Friend
	err := chunked(peers, func(ids []string) error {
		cond, args := inIDs("friend_id", ids)
		rows, err := r.c.query(ctx, `SELECT friend_id, add_source, add_wording, add_time, remark, remark_time, list_names, custom
			FROM friends WHERE app_id = ? AND owner_id = ?`+cond, append([]any{appID(app), owner}, args...)...)
		return each(rows, err, func(rows *sql.Rows) error {
			var f im.Friend
			var lists, custom string
			if err := rows.Scan(&f.UserID, &f.AddSource, &f.AddWording, &f.AddTime, &f.Remark, &f.RemarkTime, &lists, &custom); err != nil {
				return err
			}
			var err error
			if f.Lists, err = decodeIDs(lists); err != nil {
				return err
			}
			if custom != "" {
				if err := json.Unmarshal([]byte(custom), &f.Custom); err != nil {
					return fmt.Errorf("decode custom fields: %w", err)
				}
			}
			out = append(out, f)
			return nil
		})
	})
	slices.SortFunc(out, func(a, b im.Friend) int { return strings.Compare(a.UserID, b.UserID) })
	return out, err
}

// userColumn reads one column of UserIDs matching a query whose last
// condition is restricted to ids (all rows when ids is nil), in byte order.
func (r relations) userColumn(ctx context.Context, query, column string, ids []string, lead ...any) ([]string, error) {
	var out []string
	err := chunked(ids, func(part []string) error {
		cond, args := inIDs(column, part)
		rows, err := r.c.query(ctx, query+cond, append(slices.Clone(lead), args...)...)
		return each(rows, err, func(rows *sql.Rows) error {
			var id string
			err := rows.Scan(&id)
			out = append(out, id)
			return err
		})
	})
	slices.Sort(out)
	return out, err
}

// FriendOwners reads whose friend tables hold userID.
func (r relations) FriendOwners(ctx context.Context, app uint64, userID string, owners []string) ([]string, error) {
	return r.userColumn(ctx, `SELECT owner_id FROM friends WHERE app_id = ? AND friend_id = ?`, "owner_id", owners, appID(app), userID)
}

// Blockers reads whose blocklists hold userID.
func (r relations) Blockers(ctx context.Context, app uint64, userID string, owners []string) ([]string, error) {
	return r.userColumn(ctx, `SELECT owner_id FROM blocks WHERE app_id = ? AND blocked_id = ?`, "owner_id", owners, appID(app), userID)
}

// BlockPairs reads which of pairs are blocklist entries: one query per
// piece of the owners, which may read more entries than asked (an owner's
// blocks of another pair's peer) and keeps the asked ones.
func (r relations) BlockPairs(ctx context.Context, app uint64, pairs []im.Pair) ([]im.Pair, error) {
	asked := make(map[im.Pair]bool, len(pairs))
	owners := make([]string, 0, len(pairs))
	peers := make([]string, 0, len(pairs))
	for _, p := range pairs {
		if !asked[p] {
			asked[p] = true
			owners = append(owners, p.Owner)
			peers = append(peers, p.Peer)
		}
	}
	var out []im.Pair
	peerChunks := ladderChunks(peers)
	for i, owned := range ladderChunks(owners) {
		blocked := peerChunks[i]
		rows, err := r.c.query(ctx, `SELECT owner_id, blocked_id FROM blocks WHERE app_id = ? AND owner_id IN (`+
			placeholders(len(owned))+`) AND blocked_id IN (`+placeholders(len(blocked))+`)`,
			append(withIDs(owned, appID(app)), withIDs(blocked)...)...)
		err = each(rows, err, func(rows *sql.Rows) error {
			var p im.Pair
			if err := rows.Scan(&p.Owner, &p.Peer); err != nil {
				return err
			}
			if asked[p] {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CountFriends counts owners' friends.
func (r relations) CountFriends(ctx context.Context, app uint64, owners []string) (map[string]int, error) {
	out := map[string]int{}
	for _, ids := range chunks(owners) {
		rows, err := r.c.query(ctx, `SELECT owner_id, COUNT(*) FROM friends WHERE app_id = ? AND owner_id IN (`+
			placeholders(len(ids))+`) GROUP BY owner_id`, withIDs(ids, appID(app))...)
		err = each(rows, err, func(rows *sql.Rows) error {
			var id string
			var n int
			err := rows.Scan(&id, &n)
			out[id] = n
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// FriendLists reads owner's list names in creation order.
func (r relations) FriendLists(ctx context.Context, app uint64, owner string) ([]string, error) {
	var out []string
	rows, err := r.c.query(ctx, `SELECT name FROM friend_lists WHERE app_id = ? AND owner_id = ? ORDER BY position`, appID(app), owner)
	err = each(rows, err, func(rows *sql.Rows) error {
		var name string
		err := rows.Scan(&name)
		out = append(out, name)
		return err
	})
	return out, err
}

// Blocks reads owner's blocklist entries.
func (r relations) Blocks(ctx context.Context, app uint64, owner string, peers []string) ([]im.Block, error) {
	var out []im.Block
	err := chunked(peers, func(ids []string) error {
		cond, args := inIDs("blocked_id", ids)
		rows, err := r.c.query(ctx, `SELECT blocked_id, added_at FROM blocks WHERE app_id = ? AND owner_id = ?`+cond,
			append([]any{appID(app), owner}, args...)...)
		return each(rows, err, func(rows *sql.Rows) error {
			var b im.Block
			err := rows.Scan(&b.UserID, &b.Time)
			out = append(out, b)
			return err
		})
	})
	slices.SortFunc(out, func(a, b im.Block) int {
		return cmp.Or(cmp.Compare(a.Time, b.Time), strings.Compare(a.UserID, b.UserID))
	})
	return out, err
}

// FriendRequests reads the requests from or to userID.
func (r relations) FriendRequests(ctx context.Context, app uint64, userID string) ([]im.FriendRequest, error) {
	var out []im.FriendRequest
	for _, side := range []string{"to_id", "from_id"} {
		rows, err := r.c.query(ctx, `SELECT from_id, to_id, add_source, add_wording, remark, list_name, both_ways, created_at
			FROM friend_requests WHERE app_id = ? AND `+side+` = ?`, appID(app), userID)
		err = each(rows, err, func(rows *sql.Rows) error {
			var q im.FriendRequest
			if err := rows.Scan(&q.From, &q.To, &q.AddSource, &q.AddWording, &q.Remark, &q.List, &q.Both, &q.Time); err != nil {
				return err
			}
			out = append(out, q)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b im.FriendRequest) int {
		return cmp.Or(cmp.Compare(a.Time, b.Time), strings.Compare(a.From, b.From), strings.Compare(a.To, b.To))
	})
	return out, nil
}

// RelationSeqs reads owner's versions.
func (r relations) RelationSeqs(ctx context.Context, app uint64, owner string) (im.RelationSeqs, error) {
	var s im.RelationSeqs
	err := r.c.queryRow(ctx, `SELECT friend_seq, friend_custom_seq, friend_list_seq, block_seq FROM accounts
		WHERE app_id = ? AND user_id = ?`, appID(app), owner).Scan(&s.Friends, &s.Custom, &s.Lists, &s.Blocks)
	if errors.Is(err, sql.ErrNoRows) {
		return s, im.ErrNotFound
	}
	return s, err
}
