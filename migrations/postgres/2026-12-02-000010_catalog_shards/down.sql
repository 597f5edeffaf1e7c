CREATE TABLE catalog_state (
    id BIGINT PRIMARY KEY NOT NULL,
    products_version BIGINT NOT NULL,
    demands_version BIGINT NOT NULL
);
INSERT INTO catalog_state (id, products_version, demands_version)
SELECT 1, COALESCE(SUM(products_version), 0), COALESCE(SUM(demands_version), 0)
FROM catalog_shards;
DROP TABLE catalog_shards;
