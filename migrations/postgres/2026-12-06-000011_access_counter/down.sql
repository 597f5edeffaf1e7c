ALTER TABLE catalog_shards DROP COLUMN access_version;
