package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// A migration is one numbered schema step. Files are named
// NNNN_name.sql, with NNNN_name.<engine>.sql overriding it for one engine
// where the engines truly differ; a version may also exist only as
// per-engine files, in which case every engine must have one.
type migration struct {
	Version int
	Name    string
	SQL     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)(?:\.([a-z]+))?\.sql$`)

// engines lists the dialect names the migrations must resolve for.
var engines = []string{"sqlite", "postgres"}

// migrations returns the steps for engine in version order. It rejects
// malformed names, gaps in the numbering, two names for one version, and a
// version the engine has no file for, so a bad migration fails at start-up
// (and in the unit test), not half-way through a deployment.
func migrations(engine string) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	type versionFiles struct {
		name      string
		base      string            // file name of the portable file, if any
		overrides map[string]string // engine -> file name
	}
	byVersion := map[int]*versionFiles{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name[.engine].sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		vf := byVersion[v]
		if vf == nil {
			vf = &versionFiles{name: m[2], overrides: map[string]string{}}
			byVersion[v] = vf
		}
		if vf.name != m[2] {
			return nil, fmt.Errorf("migration %04d has two names: %s and %s", v, vf.name, m[2])
		}
		switch eng := m[3]; {
		case eng == "":
			vf.base = e.Name()
		case !slices.Contains(engines, eng):
			return nil, fmt.Errorf("migration %s: unknown engine %q", e.Name(), eng)
		default:
			vf.overrides[eng] = e.Name()
		}
	}
	out := make([]migration, 0, len(byVersion))
	for v := 1; v <= len(byVersion); v++ {
		vf := byVersion[v]
		if vf == nil {
			return nil, fmt.Errorf("migration %04d is missing", v)
		}
		file := vf.base
		if o, ok := vf.overrides[engine]; ok {
			file = o
		}
		if file == "" {
			return nil, fmt.Errorf("migration %04d_%s has no file for engine %q", v, vf.name, engine)
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", file))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{Version: v, Name: vf.name, SQL: string(b)})
	}
	return out, nil
}

// Migrate brings the schema up to date. All pending migrations run in one
// transaction together with their schema_migrations rows, so a failure
// leaves the schema exactly as it was. A database migrated by a newer
// binary is refused rather than used with a schema this code does not know.
func (db *DB) Migrate(ctx context.Context) error {
	steps, err := migrations(db.dialect.Name)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	err = db.inTx(ctx, func(c conn) error {
		if db.dialect.MigrationLock != "" {
			if _, err := c.exec(ctx, db.dialect.MigrationLock); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		if _, err := c.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    BIGINT PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at BIGINT NOT NULL
		)`); err != nil {
			return err
		}
		var current int
		if err := c.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return err
		}
		if current > len(steps) {
			return fmt.Errorf("database schema is at version %d, newer than this binary's %d", current, len(steps))
		}
		for _, m := range steps[current:] {
			// Not rebound: migration files are plain scripts without
			// parameters, and their comments may contain question marks.
			if _, err := c.q.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("%04d_%s: %w", m.Version, m.Name, err)
			}
			if _, err := c.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, db.Now().Unix()); err != nil {
				return fmt.Errorf("%04d_%s: record: %w", m.Version, m.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// SchemaVersion returns the latest applied migration, 0 on an empty
// database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.reader().queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, db.fail("schema version", err)
	}
	return v, nil
}
