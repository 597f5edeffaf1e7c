-- Failed logins counted per username and client address (a guess from elsewhere cannot lock a
-- user out); `last_failure_at` lets old rows expire.
DROP TABLE login_throttle;
CREATE TABLE login_throttle (
    username TEXT NOT NULL,
    client TEXT NOT NULL,
    failures BIGINT NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    PRIMARY KEY (username, client)
);
CREATE INDEX login_throttle_last_failure_idx ON login_throttle (last_failure_at);
