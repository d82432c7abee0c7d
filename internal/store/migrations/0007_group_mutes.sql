-- Mutes (forbid_send_msg, modify_group_member_info MuteTime). They live
-- apart from group_members because a mute survives leaving and rejoining
-- the group (rest-groups.md, forbid_send_msg) and live groups keep no
-- member rows at all. topic_id is '' for a group-wide mute, else the topic
-- it holds in. A mute is in force while until > now; expired rows are
-- ignored by reads and pruned by the group's next mute write.
-- group_members.mute_until mirrors a member's group-wide row, written in
-- the same transaction, so reading a member needs no join.
CREATE TABLE group_mutes (
    app_id   BIGINT NOT NULL,
    group_id TEXT   NOT NULL,
    topic_id TEXT   NOT NULL DEFAULT '',
    user_id  TEXT   NOT NULL CHECK (user_id <> ''),
    until    BIGINT NOT NULL,
    PRIMARY KEY (app_id, group_id, topic_id, user_id),
    FOREIGN KEY (app_id, group_id) REFERENCES groups (app_id, group_id) ON DELETE CASCADE
);
