-- Accounts of every hosted app, keyed by (app_id, user_id). Timestamps are
-- Unix seconds.
CREATE TABLE accounts (
    app_id     BIGINT NOT NULL,
    user_id    TEXT   NOT NULL CHECK (user_id <> ''),
    nick       TEXT   NOT NULL DEFAULT '',
    face_url   TEXT   NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, user_id)
);

-- The last deletion time of each deleted UserID, for the re-import
-- cool-down enforced above the store. Rows outlive a re-import.
CREATE TABLE deleted_accounts (
    app_id     BIGINT NOT NULL,
    user_id    TEXT   NOT NULL,
    deleted_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, user_id)
);
