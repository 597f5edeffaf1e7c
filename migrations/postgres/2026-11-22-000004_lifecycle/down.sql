DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE calendar_days;
DROP TABLE loans;
DROP TABLE match_events;
DROP TABLE matches;
