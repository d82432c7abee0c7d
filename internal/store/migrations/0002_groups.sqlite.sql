-- Groups and their stored members (SQLite). The only difference from the
-- PostgreSQL file is how seq is generated: SQLite has no identity columns,
-- so seq is the rowid alias, AUTOINCREMENT so a deleted group's seq is never
-- handed out again (seq is the ListGroupIDs cursor), and the logical key
-- (app_id, group_id) becomes a UNIQUE constraint.
CREATE TABLE groups (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id            BIGINT  NOT NULL,
    group_id          TEXT    NOT NULL CHECK (group_id <> ''),
    group_type        TEXT    NOT NULL,
    name              TEXT    NOT NULL DEFAULT '',
    introduction      TEXT    NOT NULL DEFAULT '',
    notification      TEXT    NOT NULL DEFAULT '',
    face_url          TEXT    NOT NULL DEFAULT '',
    owner             TEXT    NOT NULL DEFAULT '',
    create_time       BIGINT  NOT NULL,
    info_seq          BIGINT  NOT NULL DEFAULT 0,
    last_info_time    BIGINT  NOT NULL DEFAULT 0,
    last_msg_time     BIGINT  NOT NULL DEFAULT 0,
    next_msg_seq      BIGINT  NOT NULL DEFAULT 0,
    max_member_num    BIGINT  NOT NULL DEFAULT 0,
    apply_join_option TEXT    NOT NULL DEFAULT '',
    mute_all_member   BOOLEAN NOT NULL DEFAULT FALSE,
    support_topic     BOOLEAN NOT NULL DEFAULT FALSE,
    app_defined_data  TEXT    NOT NULL DEFAULT '[]', -- JSON array of {Key, Value}
    member_num        BIGINT  NOT NULL DEFAULT 0,    -- kept equal to the member count
    UNIQUE (app_id, group_id)
);
CREATE INDEX groups_by_seq ON groups (app_id, seq);
CREATE INDEX groups_by_type ON groups (app_id, group_type, seq);

-- seq (the rowid) orders members who joined in the same second by
-- insertion; plain rowids are enough here because only the order of live
-- rows matters.
CREATE TABLE group_members (
    seq                     INTEGER PRIMARY KEY,
    app_id                  BIGINT NOT NULL,
    group_id                TEXT   NOT NULL,
    user_id                 TEXT   NOT NULL CHECK (user_id <> ''),
    role                    TEXT   NOT NULL DEFAULT 'Member',
    join_time               BIGINT NOT NULL DEFAULT 0,
    msg_seq                 BIGINT NOT NULL DEFAULT 0,
    msg_flag                TEXT   NOT NULL DEFAULT '',
    last_send_msg_time      BIGINT NOT NULL DEFAULT 0,
    mute_until              BIGINT NOT NULL DEFAULT 0,
    name_card               TEXT   NOT NULL DEFAULT '',
    app_member_defined_data TEXT   NOT NULL DEFAULT '[]', -- JSON array of {Key, Value}
    UNIQUE (app_id, group_id, user_id),
    FOREIGN KEY (app_id, group_id) REFERENCES groups (app_id, group_id) ON DELETE CASCADE
);
CREATE INDEX group_members_by_join ON group_members (app_id, group_id, join_time, seq);
CREATE INDEX group_members_by_user ON group_members (app_id, user_id, join_time, seq);
