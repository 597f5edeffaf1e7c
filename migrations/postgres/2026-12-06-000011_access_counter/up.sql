-- A third change counter beside the catalog's: it moves whenever a token is revoked, a password
-- changed or a user disabled or enabled, so an instance may keep live sessions in memory and
-- still answer 401 on the very next request after any of those (see src/db/watch.rs).
ALTER TABLE catalog_shards ADD COLUMN access_version BIGINT NOT NULL DEFAULT 0;
