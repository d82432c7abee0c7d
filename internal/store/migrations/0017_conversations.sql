-- Conversations (im/conversation.go). One-to-one conversations are rows
-- kept by traffic: every stored message upserts both sides' rows in the
-- transaction that stores it (store/conversation.go). A group
-- conversation has a row only when its owner pinned or deleted it: its
-- time and unread count come from the group's head (groups.next_msg_seq,
-- last_msg_time) and the member's read position (group_members.msg_seq),
-- so a group message writes nothing per member.
CREATE TABLE conversations (
    app_id       BIGINT  NOT NULL,
    owner        TEXT    NOT NULL,
    conv_type    INTEGER NOT NULL, -- 1 one-to-one, 2 group
    peer         TEXT    NOT NULL, -- the peer UserID or the GroupId
    msg_time     BIGINT  NOT NULL DEFAULT 0,  -- one-to-one: the latest message's time (0: none)
    last_msg_key TEXT    NOT NULL DEFAULT '', -- one-to-one: the latest message's MsgKey
    last_from    TEXT    NOT NULL DEFAULT '', -- and its sender
    unread       BIGINT  NOT NULL DEFAULT 0,  -- one-to-one: the owner's unread count
    pinned       BOOLEAN NOT NULL DEFAULT FALSE,
    hidden_seq   BIGINT  NOT NULL DEFAULT -1, -- group: deleted at this MsgSeq, shown again after it
    PRIMARY KEY (app_id, owner, conv_type, peer)
);
-- The list's pages: one range per owner, type and pin state, newest first.
CREATE INDEX conversations_by_time ON conversations (app_id, owner, conv_type, pinned, msg_time, peer);
-- A user's pinned ones: few, read whole for every first page; a partial
-- index so no plan scans the user's whole list for them.
CREATE INDEX conversations_pinned ON conversations (app_id, owner, conv_type) WHERE pinned = TRUE;

-- Conversation groups (create_contact_group): IDs per owner.
CREATE TABLE contact_groups (
    app_id   BIGINT NOT NULL,
    owner    TEXT   NOT NULL,
    group_id BIGINT NOT NULL,
    name     TEXT   NOT NULL,
    PRIMARY KEY (app_id, owner, group_id),
    UNIQUE (app_id, owner, name)
);

-- Group and mark data of a conversation, kept apart from the list (S8);
-- a row exists while it holds any.
CREATE TABLE contact_data (
    app_id        BIGINT NOT NULL,
    owner         TEXT   NOT NULL,
    conv_type     INTEGER NOT NULL,
    peer          TEXT   NOT NULL,
    standard_mark BIGINT NOT NULL DEFAULT 0, -- the 64 bits as a signed integer
    custom_mark   TEXT   NOT NULL DEFAULT '',
    group_ids     TEXT   NOT NULL DEFAULT '', -- JSON array of contact_groups.group_id, '' when none
    change_time   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, owner, conv_type, peer)
);
