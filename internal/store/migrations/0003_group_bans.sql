-- Live-group bans. A ban is in force while until > now; expired rows are
-- simply ignored by reads (and replaced by a re-ban).
CREATE TABLE group_bans (
    app_id      BIGINT NOT NULL,
    group_id    TEXT   NOT NULL,
    user_id     TEXT   NOT NULL CHECK (user_id <> ''),
    until       BIGINT NOT NULL,
    description TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (app_id, group_id, user_id),
    FOREIGN KEY (app_id, group_id) REFERENCES groups (app_id, group_id) ON DELETE CASCADE
);
