-- Groups and their stored members (PostgreSQL). The only difference from
-- the SQLite file is how seq is generated: an identity column here, keyed by
-- (app_id, group_id). seq is the ListGroupIDs cursor and is never reused.
CREATE TABLE groups (
    app_id            BIGINT  NOT NULL,
    group_id          TEXT    NOT NULL CHECK (group_id <> ''),
    seq               BIGINT  GENERATED ALWAYS AS IDENTITY,
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
    PRIMARY KEY (app_id, group_id)
);
CREATE INDEX groups_by_seq ON groups (app_id, seq);
CREATE INDEX groups_by_type ON groups (app_id, group_type, seq);

-- seq orders members who joined in the same second by insertion.
CREATE TABLE group_members (
    app_id                  BIGINT NOT NULL,
    group_id                TEXT   NOT NULL,
    user_id                 TEXT   NOT NULL CHECK (user_id <> ''),
    seq                     BIGINT GENERATED ALWAYS AS IDENTITY,
    role                    TEXT   NOT NULL DEFAULT 'Member',
    join_time               BIGINT NOT NULL DEFAULT 0,
    msg_seq                 BIGINT NOT NULL DEFAULT 0,
    msg_flag                TEXT   NOT NULL DEFAULT '',
    last_send_msg_time      BIGINT NOT NULL DEFAULT 0,
    mute_until              BIGINT NOT NULL DEFAULT 0,
    name_card               TEXT   NOT NULL DEFAULT '',
    app_member_defined_data TEXT   NOT NULL DEFAULT '[]', -- JSON array of {Key, Value}
    PRIMARY KEY (app_id, group_id, user_id),
    FOREIGN KEY (app_id, group_id) REFERENCES groups (app_id, group_id) ON DELETE CASCADE
);
CREATE INDEX group_members_by_join ON group_members (app_id, group_id, join_time, seq);
CREATE INDEX group_members_by_user ON group_members (app_id, user_id, join_time, seq);
