-- Message extensions (rest-messages.md S9): app-defined key/value pairs on
-- a sent message. The message row carries the extension head: the last Seq
-- given to a pair, the Seq of the last clear-all, and the writes of the
-- current minute (23003, counted here so that every node sees them). A
-- write locks the row, so writes to one message are serialized. The pairs
-- live beside the message and are deleted with it.
--
-- ext_value is BYTEA for the reason cloud_custom_data is (0005): a JSON
-- string may decode to NUL, which PostgreSQL TEXT refuses. Keys with NUL
-- are refused before they reach the store.
ALTER TABLE group_messages ADD COLUMN ext_latest_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE group_messages ADD COLUMN ext_clear_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE group_messages ADD COLUMN ext_window_start BIGINT NOT NULL DEFAULT 0;
ALTER TABLE group_messages ADD COLUMN ext_window_writes INTEGER NOT NULL DEFAULT 0;

ALTER TABLE c2c_messages ADD COLUMN ext_latest_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE c2c_messages ADD COLUMN ext_clear_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE c2c_messages ADD COLUMN ext_window_start BIGINT NOT NULL DEFAULT 0;
ALTER TABLE c2c_messages ADD COLUMN ext_window_writes INTEGER NOT NULL DEFAULT 0;

CREATE TABLE group_msg_exts (
    app_id    BIGINT NOT NULL,
    group_id  TEXT   NOT NULL,
    msg_seq   BIGINT NOT NULL,
    ext_key   TEXT   NOT NULL,
    ext_value BYTEA  NOT NULL,
    seq       BIGINT NOT NULL,
    PRIMARY KEY (app_id, group_id, msg_seq, ext_key),
    FOREIGN KEY (app_id, group_id, msg_seq) REFERENCES group_messages (app_id, group_id, msg_seq) ON DELETE CASCADE
);
-- Pulls page by Seq.
CREATE INDEX group_msg_exts_by_seq ON group_msg_exts (app_id, group_id, msg_seq, seq);

CREATE TABLE c2c_msg_exts (
    app_id     BIGINT NOT NULL,
    user_lo    TEXT   NOT NULL,
    user_hi    TEXT   NOT NULL,
    msg_time   BIGINT NOT NULL,
    msg_seq    BIGINT NOT NULL,
    msg_random BIGINT NOT NULL,
    ext_key    TEXT   NOT NULL,
    ext_value  BYTEA  NOT NULL,
    seq        BIGINT NOT NULL,
    PRIMARY KEY (app_id, user_lo, user_hi, msg_time, msg_seq, msg_random, ext_key),
    FOREIGN KEY (app_id, user_lo, user_hi, msg_time, msg_seq, msg_random)
        REFERENCES c2c_messages (app_id, user_lo, user_hi, msg_time, msg_seq, msg_random) ON DELETE CASCADE
);
CREATE INDEX c2c_msg_exts_by_seq ON c2c_msg_exts (app_id, user_lo, user_hi, msg_time, msg_seq, msg_random, seq);
