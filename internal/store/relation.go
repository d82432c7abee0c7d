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
func lockAccounts(ctx context.Context, c conn, app uint64, users []string) (map[string]bool, error) {
	sorted := slices.Clone(users)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	out := make(map[string]bool, len(sorted))
	for _, u := range sorted {
		err := c.queryRow(ctx, `UPDATE accounts SET event_seq = event_seq WHERE app_id = ? AND user_id = ? RETURNING user_id`,
			appID(app), u).Scan(new(string))
		switch {
		case err == nil:
			out[u] = true
		case !errors.Is(err, sql.ErrNoRows):
			return nil, err
		}
	}
	return out, nil
}

// applyRelations writes w's changes: deletions first, so that an entry
// deleted and put again by one write ends up put.
func applyRelations(ctx context.Context, c conn, app uint64, w *im.RelationWrite) error {
	a := appID(app)
	for _, d := range []struct {
		sql   string
		pairs []im.Pair
	}{
		{`DELETE FROM friends WHERE app_id = ? AND owner_id = ? AND friend_id = ?`, w.DeleteFriends},
		{`DELETE FROM blocks WHERE app_id = ? AND owner_id = ? AND blocked_id = ?`, w.DeleteBlocks},
		{`DELETE FROM friend_requests WHERE app_id = ? AND from_id = ? AND to_id = ?`, w.DeleteRequests},
	} {
		for _, p := range d.pairs {
			if _, err := c.exec(ctx, d.sql, a, p.Owner, p.Peer); err != nil {
				return err
			}
		}
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
	for _, f := range w.PutFriends {
		lists, err := encodeIDs(f.Lists)
		if err != nil {
			return err
		}
		custom, err := encodeTagValues(f.Custom)
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, `INSERT INTO friends (app_id, owner_id, friend_id, add_source, add_wording, add_time,
			remark, remark_time, list_names, custom) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (app_id, owner_id, friend_id) DO UPDATE SET add_source = excluded.add_source,
			add_wording = excluded.add_wording, add_time = excluded.add_time, remark = excluded.remark,
			remark_time = excluded.remark_time, list_names = excluded.list_names, custom = excluded.custom`,
			a, f.Owner, f.UserID, f.AddSource, f.AddWording, f.AddTime, f.Remark, f.RemarkTime, lists, custom); err != nil {
			return err
		}
	}
	for _, b := range w.PutBlocks {
		if _, err := c.exec(ctx, `INSERT INTO blocks (app_id, owner_id, blocked_id, added_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (app_id, owner_id, blocked_id) DO UPDATE SET added_at = excluded.added_at`,
			a, b.Owner, b.UserID, b.Time); err != nil {
			return err
		}
	}
	for _, r := range w.PutRequests {
		if _, err := c.exec(ctx, `INSERT INTO friend_requests (app_id, to_id, from_id, add_source, add_wording, remark,
			list_name, both_ways, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (app_id, to_id, from_id) DO UPDATE SET add_source = excluded.add_source,
			add_wording = excluded.add_wording, remark = excluded.remark, list_name = excluded.list_name,
			both_ways = excluded.both_ways, created_at = excluded.created_at`,
			a, r.To, r.From, r.AddSource, r.AddWording, r.Remark, r.List, r.Both, r.Time); err != nil {
			return err
		}
	}
	owners := make([]string, 0, len(w.Advance))
	for o := range w.Advance {
		owners = append(owners, o)
	}
	slices.Sort(owners)
	for _, o := range owners {
		d := w.Advance[o]
		if _, err := c.exec(ctx, `UPDATE accounts SET friend_seq = friend_seq + ?, friend_custom_seq = friend_custom_seq + ?,
			friend_list_seq = friend_list_seq + ?, block_seq = block_seq + ? WHERE app_id = ? AND user_id = ?`,
			d.Friends, d.Custom, d.Lists, d.Blocks, a, o); err != nil {
			return err
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
