-- Revocable access. A token carries its user's `token_version` and its own `jti`; the lookup
-- that authenticates each request refuses a disabled user, a revoked jti, and a version the
-- user has moved past (a password change), except the token that made that change.
ALTER TABLE users ADD COLUMN token_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP;
ALTER TABLE users ADD COLUMN kept_jti TEXT;
CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX revoked_tokens_expires_idx ON revoked_tokens (expires_at);
