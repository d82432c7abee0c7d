-- Group custom attributes (rest-groups.md S9): at most 16 small pairs, so
-- the whole set is one JSON array in one row, read in one lookup and
-- written under that row's lock. version counts writes; window_start and
-- window_writes count the writes of the current second, for the limit of
-- 5 writes per second per group (10049) across every node.
CREATE TABLE group_attrs (
    app_id        BIGINT  NOT NULL,
    group_id      TEXT    NOT NULL,
    attrs         TEXT    NOT NULL DEFAULT '[]', -- JSON array of {key, value}
    version       BIGINT  NOT NULL DEFAULT 0,
    window_start  BIGINT  NOT NULL DEFAULT 0,
    window_writes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, group_id),
    FOREIGN KEY (app_id, group_id) REFERENCES groups (app_id, group_id) ON DELETE CASCADE
);
