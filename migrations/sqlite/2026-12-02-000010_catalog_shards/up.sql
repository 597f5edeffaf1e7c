-- The matching catalog's change counters, in 64 shards instead of one row. A write bumps the
-- shard of the enterprise (demands, profiles, qualifications) or the bank (products) it
-- concerns, so writes for different enterprises no longer queue on one row lock; a reader
-- sums the shards, and a committed change to any shard moves the sum.
CREATE TABLE catalog_shards (
    shard BIGINT PRIMARY KEY NOT NULL,
    products_version BIGINT NOT NULL,
    demands_version BIGINT NOT NULL
);
-- Shard 0 carries the old counters, so the versions only move forward.
INSERT INTO catalog_shards (shard, products_version, demands_version)
SELECT 0, products_version, demands_version FROM catalog_state;
INSERT INTO catalog_shards (shard, products_version, demands_version)
WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 63)
SELECT n, 0, 0 FROM s;
DROP TABLE catalog_state;
