-- Group counters (rest-groups.md, Group counters): one row per key, so an
-- increase is one UPDATE that adds in place and concurrent increases from
-- any number of nodes never lose one.
CREATE TABLE group_counters (
    app_id      BIGINT NOT NULL,
    group_id    TEXT   NOT NULL,
    counter_key TEXT   NOT NULL CHECK (counter_key <> ''),
    value       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, group_id, counter_key),
    FOREIGN KEY (app_id, group_id) REFERENCES groups (app_id, group_id) ON DELETE CASCADE
);
