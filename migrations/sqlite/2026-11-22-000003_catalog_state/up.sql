-- Change counters for the in-memory matching catalog. Every write that changes what matching
-- sees bumps a counter in the same transaction; each instance reloads its cache when the
-- counter moves, so several instances on one PostgreSQL never serve a stale catalog.
CREATE TABLE catalog_state (
    id BIGINT PRIMARY KEY NOT NULL,
    products_version BIGINT NOT NULL,
    demands_version BIGINT NOT NULL
);
INSERT INTO catalog_state (id, products_version, demands_version) VALUES (1, 0, 0);
