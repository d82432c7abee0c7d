-- Reserved: another branch adds migration 0017; this placeholder keeps the
-- numbering without gaps until it is merged (delete this file then).
SELECT 1;
