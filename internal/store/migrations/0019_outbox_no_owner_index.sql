-- No statement reads webhook_outbox by (owner, seq): a node's own rows are
-- in its memory, and the take-over selects the rows of every other node
-- whose lease ran out, which no index on owner serves. The index only cost
-- an insert and a delete for every after callback.
DROP INDEX webhook_outbox_owner;
