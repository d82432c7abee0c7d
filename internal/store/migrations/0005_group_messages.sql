-- Group messages. The MsgSeq counter is groups.next_msg_seq: a send takes
-- it and writes these tables in one transaction. group_messages is the
-- history; live groups and online-only messages take a MsgSeq but are not
-- stored.
--
-- cloud_custom_data holds the sender's bytes as they are (a JSON string may
-- carry NUL, which PostgreSQL TEXT refuses), so it is BYTEA. SQLite knows
-- no such type and gives the column NUMERIC affinity, under which a bound
-- []byte is still stored as a BLOB, unconverted: the code binds nothing
-- else there.
CREATE TABLE group_messages (
    app_id            BIGINT  NOT NULL,
    group_id          TEXT    NOT NULL,
    msg_seq           BIGINT  NOT NULL,
    from_account      TEXT    NOT NULL,
    msg_time          BIGINT  NOT NULL,
    msg_random        BIGINT  NOT NULL,              -- uint32
    msg_priority      INTEGER NOT NULL,              -- 1 High, 2 Normal, 3 Low
    msg_body          TEXT    NOT NULL,              -- MsgBody: compact JSON array as sent
    cloud_custom_data BYTEA   NOT NULL,
    offline_push_info TEXT    NOT NULL DEFAULT '',   -- JSON object as sent, '' when absent
    PRIMARY KEY (app_id, group_id, msg_seq),
    FOREIGN KEY (app_id, group_id) REFERENCES groups (app_id, group_id) ON DELETE CASCADE
);

-- The duplicate key (Random, content hash) of every message sent in the
-- last five minutes, stored or not, with the MsgSeq and time it got. Each
-- send deletes its group's expired rows.
CREATE TABLE group_msg_dedup (
    app_id       BIGINT NOT NULL,
    group_id     TEXT   NOT NULL,
    msg_random   BIGINT NOT NULL,
    content_hash BIGINT NOT NULL,
    msg_seq      BIGINT NOT NULL,
    msg_time     BIGINT NOT NULL,
    PRIMARY KEY (app_id, group_id, msg_random, content_hash),
    FOREIGN KEY (app_id, group_id) REFERENCES groups (app_id, group_id) ON DELETE CASCADE
);
CREATE INDEX group_msg_dedup_by_time ON group_msg_dedup (app_id, group_id, msg_time);
