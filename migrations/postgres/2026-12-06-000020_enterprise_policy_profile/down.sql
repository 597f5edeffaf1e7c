ALTER TABLE enterprises DROP COLUMN sector_code;
ALTER TABLE enterprises DROP COLUMN ownership;
