-- Users and their relationships (rest-users.md S4-S6): profiles, friends,
-- friend lists, blocklists, pending friend requests and the global mute.
-- Every row names its accounts with foreign keys ON DELETE CASCADE, on the
-- owner's side and on the other one, so deleting an account removes its
-- profile and every relationship it is part of in the same statement.

-- Versions of an owner's relationship data (friend_get StandardSequence
-- and CustomSequence, group_get CurrentSequence, black_list_get
-- CurruentSequence), and the ends of the account's global mutes
-- (setnospeaking, Unix seconds; 0 none; the largest BIGINT permanent).
ALTER TABLE accounts ADD COLUMN friend_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN friend_custom_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN friend_list_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN block_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN c2c_mute_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN group_mute_until BIGINT NOT NULL DEFAULT 0;

-- Profile fields other than Tag_Profile_IM_Nick and Tag_Profile_IM_Image,
-- which are accounts.nick and accounts.face_url. value is the field's JSON
-- value (a number or a string), so a string holding NUL stays text.
CREATE TABLE profile_fields (
    app_id  BIGINT NOT NULL,
    user_id TEXT   NOT NULL,
    tag     TEXT   NOT NULL,
    value   TEXT   NOT NULL,
    PRIMARY KEY (app_id, user_id, tag),
    FOREIGN KEY (app_id, user_id) REFERENCES accounts (app_id, user_id) ON DELETE CASCADE
);

-- Friend tables: friend_id is in owner_id's table. Lists the friend is in
-- and custom fields are JSON arrays ('' when none).
CREATE TABLE friends (
    app_id      BIGINT NOT NULL,
    owner_id    TEXT   NOT NULL,
    friend_id   TEXT   NOT NULL,
    add_source  TEXT   NOT NULL DEFAULT '',
    add_wording TEXT   NOT NULL DEFAULT '',
    add_time    BIGINT NOT NULL DEFAULT 0,
    remark      TEXT   NOT NULL DEFAULT '',
    remark_time BIGINT NOT NULL DEFAULT 0,
    list_names  TEXT   NOT NULL DEFAULT '',
    custom      TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (app_id, owner_id, friend_id),
    FOREIGN KEY (app_id, owner_id) REFERENCES accounts (app_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (app_id, friend_id) REFERENCES accounts (app_id, user_id) ON DELETE CASCADE
);
-- Whose tables hold a user: friend_check both ways, profile-change notices.
CREATE INDEX friends_by_friend ON friends (app_id, friend_id);

-- Friend lists exist apart from their members (sns/group_add creates empty
-- ones); position keeps their creation order.
CREATE TABLE friend_lists (
    app_id   BIGINT NOT NULL,
    owner_id TEXT   NOT NULL,
    name     TEXT   NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (app_id, owner_id, name),
    FOREIGN KEY (app_id, owner_id) REFERENCES accounts (app_id, user_id) ON DELETE CASCADE
);

-- Blocklists: blocked_id is on owner_id's blocklist since added_at.
CREATE TABLE blocks (
    app_id     BIGINT NOT NULL,
    owner_id   TEXT   NOT NULL,
    blocked_id TEXT   NOT NULL,
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (app_id, owner_id, blocked_id),
    FOREIGN KEY (app_id, owner_id) REFERENCES accounts (app_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (app_id, blocked_id) REFERENCES accounts (app_id, user_id) ON DELETE CASCADE
);
-- Who blocks a user: the one-to-one send check, friend_add, black_list_check.
CREATE INDEX blocks_by_blocked ON blocks (app_id, blocked_id);

-- Pending friend requests (AllowType_Type_NeedConfirm), one per direction
-- of a pair, with what the requester asked for.
CREATE TABLE friend_requests (
    app_id      BIGINT  NOT NULL,
    to_id       TEXT    NOT NULL,
    from_id     TEXT    NOT NULL,
    add_source  TEXT    NOT NULL DEFAULT '',
    add_wording TEXT    NOT NULL DEFAULT '',
    remark      TEXT    NOT NULL DEFAULT '',
    list_name   TEXT    NOT NULL DEFAULT '',
    both_ways   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (app_id, to_id, from_id),
    FOREIGN KEY (app_id, to_id) REFERENCES accounts (app_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (app_id, from_id) REFERENCES accounts (app_id, user_id) ON DELETE CASCADE
);
CREATE INDEX friend_requests_by_from ON friend_requests (app_id, from_id);
