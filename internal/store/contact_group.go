package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/chatd/chatd/internal/im"
)

// Conversation groups and marks (rest-messages.md S8): a user's few named
// groups (contact_groups) and, per conversation, its marks and the groups
// holding it (contact_data). Every change is one transaction that ends by
// checking the per-user limit of conversations with data.

// contactRow reads and writes one conversation's data in a transaction.
type contactRow struct {
	c     conn
	app   int64
	owner string
	now   int64
}

func (r contactRow) load(ctx context.Context, key im.ConvKey) (im.ContactData, error) {
	d := im.ContactData{ConvKey: key}
	var mark int64
	var ids string
	err := r.c.queryRow(ctx, `SELECT standard_mark, custom_mark, group_ids, change_time FROM contact_data
		WHERE app_id = ? AND owner = ? AND conv_type = ? AND peer = ?`, r.app, r.owner, key.Type, key.Peer).
		Scan(&mark, &d.CustomMark, &ids, &d.Time)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return d, nil
	case err != nil:
		return d, err
	}
	d.StandardMark = uint64(mark)
	d.Groups, err = decodeList[int64](ids)
	return d, err
}

// save writes d, or deletes its row when it holds nothing.
func (r contactRow) save(ctx context.Context, d im.ContactData) error {
	if d.StandardMark == 0 && d.CustomMark == "" && len(d.Groups) == 0 {
		_, err := r.c.exec(ctx, `DELETE FROM contact_data WHERE app_id = ? AND owner = ? AND conv_type = ? AND peer = ?`,
			r.app, r.owner, d.Type, d.Peer)
		return err
	}
	ids, err := encodeIDs(d.Groups)
	if err != nil {
		return err
	}
	_, err = r.c.exec(ctx, `INSERT INTO contact_data (app_id, owner, conv_type, peer, standard_mark, custom_mark, group_ids, change_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (app_id, owner, conv_type, peer) DO UPDATE SET
		standard_mark = excluded.standard_mark, custom_mark = excluded.custom_mark, group_ids = excluded.group_ids,
		change_time = excluded.change_time`,
		r.app, r.owner, d.Type, d.Peer, int64(d.StandardMark), d.CustomMark, ids, r.now)
	return err
}

// checkLimit refuses a change that leaves more than MaxContactData
// conversations with data (51008).
func (r contactRow) checkLimit(ctx context.Context) error {
	var n int
	if err := r.c.queryRow(ctx, `SELECT COUNT(*) FROM contact_data WHERE app_id = ? AND owner = ?`, r.app, r.owner).Scan(&n); err != nil {
		return err
	}
	if n > im.MaxContactData {
		return im.Errorf(im.CodeConvTooManyData, "%s would have %d conversations with group or mark data, at most %d", r.owner, n, im.MaxContactData)
	}
	return nil
}

// setMember adds the conversation to group id or removes it.
func (r contactRow) setMember(ctx context.Context, key im.ConvKey, id int64, add bool) error {
	d, err := r.load(ctx, key)
	if err != nil {
		return err
	}
	i, found := slices.BinarySearch(d.Groups, id)
	switch {
	case add && !found:
		d.Groups = slices.Insert(d.Groups, i, id)
	case !add && found:
		d.Groups = slices.Delete(d.Groups, i, i+1)
	default:
		return nil
	}
	return r.save(ctx, d)
}

// contactTx runs fn on the owner's data in a write transaction and ends
// it by checking the limit of conversations with data.
func (db *DB) contactTx(ctx context.Context, op string, app uint64, owner string, now int64, fn func(r contactRow) error) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := db.inTx(ctx, func(c conn) error {
		r := contactRow{c: c, app: appID(app), owner: owner, now: now}
		if err := fn(r); err != nil {
			return err
		}
		return r.checkLimit(ctx)
	})
	if err != nil {
		return db.fail(op, err)
	}
	return nil
}

// groupID finds a conversation group by name; sql.ErrNoRows when none.
func (r contactRow) groupID(ctx context.Context, name string) (int64, error) {
	var id int64
	err := r.c.queryRow(ctx, `SELECT group_id FROM contact_groups WHERE app_id = ? AND owner = ? AND name = ?`, r.app, r.owner, name).Scan(&id)
	return id, err
}

// CreateContactGroup implements im.ConversationStore. A new group takes
// the owner's highest ID plus one.
func (db *DB) CreateContactGroup(ctx context.Context, app uint64, owner, name string, keys []im.ConvKey, now int64) (int64, error) {
	var id int64
	err := db.contactTx(ctx, "create contact group", app, owner, now, func(r contactRow) error {
		var n int
		if err := r.c.queryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(group_id), 0) + 1 FROM contact_groups WHERE app_id = ? AND owner = ?`,
			r.app, owner).Scan(&n, &id); err != nil {
			return err
		}
		if _, err := r.groupID(ctx, name); err == nil {
			return im.ErrConflict
		}
		if n >= im.MaxContactGroups {
			return im.Errorf(im.CodeConvTooManyGroups, "%s has %d conversation groups, at most %d", owner, n, im.MaxContactGroups)
		}
		if _, err := r.c.exec(ctx, `INSERT INTO contact_groups (app_id, owner, group_id, name) VALUES (?, ?, ?, ?)`, r.app, owner, id, name); err != nil {
			return err
		}
		for _, k := range keys {
			if err := r.setMember(ctx, k, id, true); err != nil {
				return err
			}
		}
		return nil
	})
	return id, err
}

// UpdateContactGroup implements im.ConversationStore.
func (db *DB) UpdateContactGroup(ctx context.Context, app uint64, owner, name, newName string, changes []im.ContactGroupChange, now int64) (int64, error) {
	var id int64
	err := db.contactTx(ctx, "update contact group", app, owner, now, func(r contactRow) error {
		var err error
		if id, err = r.groupID(ctx, name); err != nil {
			return err
		}
		if newName != "" && newName != name {
			if _, err := r.groupID(ctx, newName); err == nil {
				return im.ErrConflict
			}
			if _, err := r.c.exec(ctx, `UPDATE contact_groups SET name = ? WHERE app_id = ? AND owner = ? AND group_id = ?`,
				newName, r.app, owner, id); err != nil {
				return err
			}
		}
		for _, ch := range changes {
			if err := r.setMember(ctx, ch.ConvKey, id, ch.Add); err != nil {
				return err
			}
		}
		return nil
	})
	return id, err
}

// DeleteContactGroup implements im.ConversationStore: the group leaves
// every conversation that was in it.
func (db *DB) DeleteContactGroup(ctx context.Context, app uint64, owner, name string, now int64) (int64, error) {
	var id int64
	err := db.contactTx(ctx, "delete contact group", app, owner, now, func(r contactRow) error {
		var err error
		if id, err = r.groupID(ctx, name); err != nil {
			return err
		}
		if _, err := r.c.exec(ctx, `DELETE FROM contact_groups WHERE app_id = ? AND owner = ? AND group_id = ?`, r.app, owner, id); err != nil {
			return err
		}
		var members []im.ConvKey
		rows, err := r.c.query(ctx, `SELECT conv_type, peer, group_ids FROM contact_data WHERE app_id = ? AND owner = ? AND group_ids <> ''`, r.app, owner)
		err = each(rows, err, func(rs *sql.Rows) error {
			var k im.ConvKey
			var ids string
			if err := rs.Scan(&k.Type, &k.Peer, &ids); err != nil {
				return err
			}
			in, err := decodeList[int64](ids)
			if slices.Contains(in, id) {
				members = append(members, k)
			}
			return err
		})
		if err != nil {
			return err
		}
		for _, k := range members {
			if err := r.setMember(ctx, k, id, false); err != nil {
				return err
			}
		}
		return nil
	})
	return id, err
}

// MarkContacts implements im.ConversationStore.
func (db *DB) MarkContacts(ctx context.Context, app uint64, owner string, marks []im.ContactMark, now int64) error {
	return db.contactTx(ctx, "mark contacts", app, owner, now, func(r contactRow) error {
		for _, m := range marks {
			d, err := r.load(ctx, m.ConvKey)
			if err != nil {
				return err
			}
			d.StandardMark = d.StandardMark&^m.Clear | m.Set
			if m.Custom != nil {
				d.CustomMark = *m.Custom
			}
			if err := r.save(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
}

// ContactData implements im.ConversationStore.
func (db *DB) ContactData(ctx context.Context, app uint64, owner string, keys []im.ConvKey, start, limit int) ([]im.ContactData, []im.ContactGroup, int, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var data []im.ContactData
	var groups []im.ContactGroup
	next := -1
	c := db.reader()
	err := func() error {
		r := contactRow{c: c, app: appID(app), owner: owner}
		if keys != nil {
			for _, k := range keys {
				d, err := r.load(ctx, k)
				if err != nil {
					return err
				}
				if d.Time != 0 {
					data = append(data, d)
				}
			}
		} else {
			var page []im.ConvKey
			rows, err := c.query(ctx, `SELECT conv_type, peer FROM contact_data WHERE app_id = ? AND owner = ?
				ORDER BY conv_type, peer`+db.dialect.ByteOrder+` LIMIT ? OFFSET ?`, r.app, owner, limit+1, start)
			err = each(rows, err, func(rs *sql.Rows) error {
				var k im.ConvKey
				page = append(page, k)
				return rs.Scan(&page[len(page)-1].Type, &page[len(page)-1].Peer)
			})
			if err != nil {
				return err
			}
			if len(page) > limit {
				page, next = page[:limit], start+limit
			}
			for _, k := range page {
				d, err := r.load(ctx, k)
				if err != nil {
					return err
				}
				data = append(data, d)
			}
		}
		rows, err := c.query(ctx, `SELECT group_id, name FROM contact_groups WHERE app_id = ? AND owner = ? ORDER BY group_id`, r.app, owner)
		return each(rows, err, func(rs *sql.Rows) error {
			var g im.ContactGroup
			err := rs.Scan(&g.ID, &g.Name)
			groups = append(groups, g)
			return err
		})
	}()
	if err != nil {
		return nil, nil, 0, db.fail("contact data", err)
	}
	return data, groups, next, nil
}
