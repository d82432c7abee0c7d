package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/chatd/chatd/internal/im"
)

// GetGroupAttrs implements im.GroupStore.
func (db *DB) GetGroupAttrs(ctx context.Context, app uint64, groupID string) (im.GroupAttrs, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a, err := scanAttrs(db.reader().queryRow(ctx, `SELECT attrs, version, window_start, window_writes FROM group_attrs
		WHERE app_id = ? AND group_id = ?`, appID(app), groupID))
	if errors.Is(err, sql.ErrNoRows) {
		return im.GroupAttrs{}, nil
	}
	if err != nil {
		return im.GroupAttrs{}, db.fail("get group attrs", err)
	}
	return a, nil
}

func scanAttrs(r interface{ Scan(...any) error }) (im.GroupAttrs, error) {
	var a im.GroupAttrs
	var text string
	if err := r.Scan(&text, &a.Version, &a.WindowStart, &a.WindowWrites); err != nil {
		return im.GroupAttrs{}, err
	}
	if err := json.Unmarshal([]byte(text), &a.Attrs); err != nil {
		return im.GroupAttrs{}, fmt.Errorf("attrs: %w", err)
	}
	if len(a.Attrs) == 0 {
		a.Attrs = nil
	}
	return a, nil
}

// WriteGroupAttrs implements im.GroupStore. The first statement creates the
// group's row if needed and locks it (a row of a group that does not exist
// violates the foreign key: im.ErrNotFound).
func (db *DB) WriteGroupAttrs(ctx context.Context, app uint64, groupID string, apply func(a *im.GroupAttrs) error) (im.GroupAttrs, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	id := appID(app)
	var out im.GroupAttrs
	err := db.inTx(ctx, func(c conn) error {
		a, err := scanAttrs(c.queryRow(ctx, `INSERT INTO group_attrs (app_id, group_id) VALUES (?, ?)
			ON CONFLICT (app_id, group_id) DO UPDATE SET version = group_attrs.version
			RETURNING attrs, version, window_start, window_writes`, id, groupID))
		if err != nil {
			return err
		}
		if err := apply(&a); err != nil {
			return err
		}
		text := []byte("[]")
		if len(a.Attrs) > 0 {
			if text, err = im.EncodeJSON(a.Attrs); err != nil {
				return err
			}
		}
		_, err = c.exec(ctx, `UPDATE group_attrs SET attrs = ?, version = ?, window_start = ?, window_writes = ?
			WHERE app_id = ? AND group_id = ?`, string(text), a.Version, a.WindowStart, a.WindowWrites, id, groupID)
		out = a
		return err
	})
	if err != nil {
		return im.GroupAttrs{}, db.fail("write group attrs", err)
	}
	return out, nil
}
