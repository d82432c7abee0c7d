-- Pending join applications (a NeedPermission group's apply from a
-- client): one per user per group, replaced when the user applies again,
-- deleted when the owner or an admin decides or the user becomes a member
-- by any path. Listed oldest first for the approvers.
CREATE TABLE group_applications (
    app_id     BIGINT NOT NULL,
    group_id   TEXT   NOT NULL,
    user_id    TEXT   NOT NULL CHECK (user_id <> ''),
    apply_msg  TEXT   NOT NULL DEFAULT '',
    apply_time BIGINT NOT NULL,
    PRIMARY KEY (app_id, group_id, user_id),
    FOREIGN KEY (app_id, group_id) REFERENCES groups (app_id, group_id) ON DELETE CASCADE
);
CREATE INDEX group_applications_by_time ON group_applications (app_id, group_id, apply_time, user_id);

-- A group's approvers (its owner and admins) are found without reading
-- every member: an application tells them.
CREATE INDEX group_members_by_role ON group_members (app_id, group_id, role);
