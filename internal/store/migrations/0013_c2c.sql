-- One-to-one read state (im/c2c.go). A reader's read mark per
-- conversation: the messages from peer with msg_time <= read_time are
-- read, for the reader's unread count and for the peer's IsPeerRead. One
-- row per (reader, peer), so marking a conversation read is one upsert
-- whatever its length.
CREATE TABLE c2c_read (
    app_id    BIGINT NOT NULL,
    reader    TEXT   NOT NULL,
    peer      TEXT   NOT NULL,
    read_time BIGINT NOT NULL,
    PRIMARY KEY (app_id, reader, peer)
);

-- A user's received messages by time: the total unread count is a range
-- of it joined with the read marks.
CREATE INDEX c2c_messages_by_recipient ON c2c_messages (app_id, to_account, msg_time);
