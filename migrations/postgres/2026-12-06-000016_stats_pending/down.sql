DROP TABLE stats_pending;
UPDATE stats_state SET built = FALSE;
