-- Takes the shipped 2026 days out again (an office's own days for 2026 may go with them).
DELETE FROM calendar_days WHERE day BETWEEN DATE '2026-01-01' AND DATE '2026-12-31';
