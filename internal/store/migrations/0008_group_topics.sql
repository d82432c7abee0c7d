-- Community topics (rest-groups.md, Community management). Topic members
-- are the community's members, so topics keep no member rows. A topic's
-- messages take their MsgSeq from next_msg_seq here, as a group's do from
-- groups.next_msg_seq.
CREATE TABLE group_topics (
    app_id          BIGINT  NOT NULL,
    group_id        TEXT    NOT NULL,
    topic_id        TEXT    NOT NULL CHECK (topic_id <> ''),
    name            TEXT    NOT NULL DEFAULT '',
    face_url        TEXT    NOT NULL DEFAULT '',
    notification    TEXT    NOT NULL DEFAULT '',
    introduction    TEXT    NOT NULL DEFAULT '',
    custom_string   TEXT    NOT NULL DEFAULT '',
    mute_all_member BOOLEAN NOT NULL DEFAULT FALSE,
    creator         TEXT    NOT NULL DEFAULT '',
    create_time     BIGINT  NOT NULL,
    last_msg_time   BIGINT  NOT NULL DEFAULT 0,
    next_msg_seq    BIGINT  NOT NULL DEFAULT 1,
    PRIMARY KEY (app_id, group_id, topic_id),
    FOREIGN KEY (app_id, group_id) REFERENCES groups (app_id, group_id) ON DELETE CASCADE
);
