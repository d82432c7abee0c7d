-- Placeholder for the lead's 0006 (the message stream), so that this
-- branch's numbering has no gap. Delete this file when merging: the real
-- 0006 takes its place.
SELECT 1;
