-- Operations, chatbots and push to all users (rest-users.md, Operations
-- management, Chatbots, Pushing to all users, S8, S10).

-- Chatbot accounts: an account is a chatbot while it has a row here.
-- delete_robot marks the row invalid instead of deleting the account.
CREATE TABLE robots (
    app_id     BIGINT  NOT NULL,
    user_id    TEXT    NOT NULL,
    valid      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (app_id, user_id),
    FOREIGN KEY (app_id, user_id) REFERENCES accounts (app_id, user_id) ON DELETE CASCADE
);

-- The app's attribute names, by slot 0-9 (im_set_attr_name).
CREATE TABLE push_attr_names (
    app_id BIGINT  NOT NULL,
    slot   INTEGER NOT NULL,
    name   TEXT    NOT NULL,
    PRIMARY KEY (app_id, slot)
);

-- Users' attribute values, by slot: renaming a slot keeps its values.
CREATE TABLE push_user_attrs (
    app_id  BIGINT  NOT NULL,
    user_id TEXT    NOT NULL,
    slot    INTEGER NOT NULL,
    value   TEXT    NOT NULL,
    PRIMARY KEY (app_id, user_id, slot),
    FOREIGN KEY (app_id, user_id) REFERENCES accounts (app_id, user_id) ON DELETE CASCADE
);

-- Users' tags (at most 100 each).
CREATE TABLE push_user_tags (
    app_id  BIGINT NOT NULL,
    user_id TEXT   NOT NULL,
    tag     TEXT   NOT NULL,
    PRIMARY KEY (app_id, user_id, tag),
    FOREIGN KEY (app_id, user_id) REFERENCES accounts (app_id, user_id) ON DELETE CASCADE
);

-- Each app's push stream head: the last PushSeq taken and when the last
-- push was made (milliseconds), locked by every push so the 1 s spacing
-- and the daily quota hold across nodes.
CREATE TABLE push_heads (
    app_id       BIGINT NOT NULL PRIMARY KEY,
    last_seq     BIGINT NOT NULL,
    last_push_ms BIGINT NOT NULL
);

-- The app's push stream: one row per push whatever the number of its
-- recipients, read by every client's sync_push and filtered there against
-- the user's attributes and tags (targeting: the resolved Condition as
-- JSON, '' for everyone). Rows stay 7 days (the MsgRandom duplicate
-- window); a client is given a row until expire_at (MsgLifeTime).
CREATE TABLE all_member_pushes (
    app_id            BIGINT NOT NULL,
    seq               BIGINT NOT NULL,
    msg_random        BIGINT NOT NULL,              -- uint32
    push_ms           BIGINT NOT NULL,
    expire_at         BIGINT NOT NULL,
    from_account      TEXT   NOT NULL,
    msg_body          TEXT   NOT NULL,              -- compact JSON array as sent
    offline_push_info TEXT   NOT NULL DEFAULT '',   -- JSON object as sent, '' when absent
    targeting         TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (app_id, seq)
);
CREATE INDEX all_member_pushes_by_random ON all_member_pushes (app_id, msg_random);
CREATE INDEX all_member_pushes_by_time ON all_member_pushes (app_id, push_ms);

-- Hourly message archives (get_history), made once on first request after
-- the hour and kept 7 days. hour is the hour's first Unix second; a large
-- hour is split into parts.
CREATE TABLE msg_archives (
    app_id     BIGINT  NOT NULL,
    chat_type  TEXT    NOT NULL,
    hour       BIGINT  NOT NULL,
    part       INTEGER NOT NULL,
    raw_size   BIGINT  NOT NULL,
    raw_md5    TEXT    NOT NULL,
    gz_size    BIGINT  NOT NULL,
    gz_md5     TEXT    NOT NULL,
    data       BYTEA   NOT NULL,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (app_id, chat_type, hour, part)
);

-- The addresses every node serves on (GetIPList), refreshed by each node
-- every minute; a node silent for a few minutes is no longer listed.
CREATE TABLE node_addrs (
    addr    TEXT   NOT NULL PRIMARY KEY,
    seen_at BIGINT NOT NULL
);

-- Day-by-day ranges of getappinfo's statistics.
CREATE INDEX accounts_by_created ON accounts (app_id, created_at);
CREATE INDEX c2c_messages_by_time ON c2c_messages (app_id, msg_time);
CREATE INDEX group_messages_by_time ON group_messages (app_id, msg_time);
CREATE INDEX groups_by_create_time ON groups (app_id, create_time);
CREATE INDEX group_members_by_join_time ON group_members (app_id, join_time);
CREATE INDEX friends_by_add_time ON friends (app_id, add_time);
