-- Streams: what clients sync (im/stream.go). Every change a user's devices
-- must see is an entry with a sequence number in the user's stream, the
-- group's message stream (group_messages, MsgSeq) or the group's event
-- stream, so a client that missed a push sees the gap and fetches it.

-- The last Seq taken in each user's stream.
ALTER TABLE accounts ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;

-- A user's stream: one-to-one messages of both sides and every event about
-- them, and personal notices. payload is the event JSON clients receive.
-- Entries leave at expire_at (MsgLifeTime, 7 days by default).
CREATE TABLE user_events (
    app_id     BIGINT NOT NULL,
    user_id    TEXT   NOT NULL,
    seq        BIGINT NOT NULL,
    event_time BIGINT NOT NULL,
    expire_at  BIGINT NOT NULL,
    payload    TEXT   NOT NULL,
    PRIMARY KEY (app_id, user_id, seq),
    FOREIGN KEY (app_id, user_id) REFERENCES accounts (app_id, user_id) ON DELETE CASCADE
);
CREATE INDEX user_events_by_expiry ON user_events (expire_at);

-- The last EventSeq taken in each group's event stream.
ALTER TABLE groups ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;

-- A group's event stream: changes of messages (recall, modify, extensions)
-- and of the group itself, for its members to sync.
CREATE TABLE group_events (
    app_id     BIGINT NOT NULL,
    group_id   TEXT   NOT NULL,
    seq        BIGINT NOT NULL,
    event_time BIGINT NOT NULL,
    payload    TEXT   NOT NULL,
    PRIMARY KEY (app_id, group_id, seq),
    FOREIGN KEY (app_id, group_id) REFERENCES groups (app_id, group_id) ON DELETE CASCADE
);
CREATE INDEX group_events_by_time ON group_events (event_time);

-- What group messages carry besides their content.
ALTER TABLE group_messages ADD COLUMN to_accounts TEXT NOT NULL DEFAULT ''; -- JSON array, '' = every member
ALTER TABLE group_messages ADD COLUMN at_info TEXT NOT NULL DEFAULT '';     -- GroupAtInfo as sent, '' when none
ALTER TABLE group_messages ADD COLUMN need_receipt BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE group_messages ADD COLUMN support_ext BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE group_messages ADD COLUMN recalled BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX group_msg_dedup_by_expiry ON group_msg_dedup (msg_time);

-- One-to-one history, one row per message, read from either side. The key
-- is the conversation (its two UserIDs in byte order) with MsgTime, MsgSeq
-- and MsgRandom: the order of S7 and the import duplicate rule (the same
-- three numbers in the same conversation, whichever way round).
CREATE TABLE c2c_messages (
    app_id                BIGINT  NOT NULL,
    user_lo               TEXT    NOT NULL,
    user_hi               TEXT    NOT NULL,
    msg_time              BIGINT  NOT NULL,
    msg_seq               BIGINT  NOT NULL, -- uint32
    msg_random            BIGINT  NOT NULL, -- uint32
    from_account          TEXT    NOT NULL,
    to_account            TEXT    NOT NULL,
    msg_body              TEXT    NOT NULL,
    cloud_custom_data     BYTEA   NOT NULL,
    offline_push_info     TEXT    NOT NULL DEFAULT '',
    flag_bits             INTEGER NOT NULL DEFAULT 0,   -- MsgFlagBits: 8 recalled
    support_ext           BOOLEAN NOT NULL DEFAULT FALSE,
    need_receipt          BOOLEAN NOT NULL DEFAULT FALSE,
    peer_read             BOOLEAN NOT NULL DEFAULT FALSE,
    hidden_from_sender    BOOLEAN NOT NULL DEFAULT FALSE,
    hidden_from_recipient BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (app_id, user_lo, user_hi, msg_time, msg_seq, msg_random)
);

-- Duplicate keys of one-to-one sends (S7: sender, MsgSeq, MsgRandom and a
-- content hash, for 120 s; per recipient, because batchsendmsg gives every
-- recipient's copy the same numbers).
CREATE TABLE c2c_dedup (
    app_id       BIGINT NOT NULL,
    from_account TEXT   NOT NULL,
    to_account   TEXT   NOT NULL,
    msg_seq      BIGINT NOT NULL,
    msg_random   BIGINT NOT NULL,
    content_hash BIGINT NOT NULL,
    msg_time     BIGINT NOT NULL,
    PRIMARY KEY (app_id, from_account, to_account, msg_seq, msg_random, content_hash)
);
CREATE INDEX c2c_dedup_by_time ON c2c_dedup (msg_time);
