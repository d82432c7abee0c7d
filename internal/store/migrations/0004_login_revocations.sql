-- kick (rest-users.md, Invalidating Account Login States): UserSigs of the
-- account issued before this Unix second are rejected with 70052.
ALTER TABLE accounts ADD COLUMN logins_revoked_before BIGINT NOT NULL DEFAULT 0;
