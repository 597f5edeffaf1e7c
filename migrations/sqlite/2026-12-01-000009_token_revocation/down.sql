DROP TABLE revoked_tokens;
ALTER TABLE users DROP COLUMN kept_jti;
ALTER TABLE users DROP COLUMN disabled_at;
ALTER TABLE users DROP COLUMN token_version;
