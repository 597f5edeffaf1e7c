ALTER TABLE loans DROP COLUMN renewal_of;
DROP TABLE renewal_events;
DROP TABLE renewals;
