DROP TABLE idempotency_keys;
DROP TABLE login_throttle;
DROP TABLE users;
DROP TABLE enterprises;
DROP TABLE organizations;
