-- The durable outbox of after callbacks (docs/webhooks.md, "Delivery that
-- survives a crash"): a row is written in the transaction of the action it
-- reports and deleted once the callback is sent or given up.
CREATE TABLE webhook_outbox (
    -- The idempotency key sent in the request header.
    ikey     TEXT   NOT NULL PRIMARY KEY,
    -- The node that sends it; seq orders its rows.
    owner    TEXT   NOT NULL,
    seq      BIGINT NOT NULL,
    app_id   BIGINT NOT NULL,
    lane     TEXT   NOT NULL,
    -- The sender's encoding of the request (command, origin, body).
    request  TEXT   NOT NULL,
    -- What the transaction assigned to the group message reported.
    msg_seq  BIGINT NOT NULL DEFAULT 0,
    msg_time BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX webhook_outbox_owner ON webhook_outbox (owner, seq);

-- The nodes alive to send their rows: a node renews its lease while it
-- runs; the rows of a node whose lease ran out are taken over by another.
CREATE TABLE webhook_nodes (
    node    TEXT   NOT NULL PRIMARY KEY,
    expires BIGINT NOT NULL
);
