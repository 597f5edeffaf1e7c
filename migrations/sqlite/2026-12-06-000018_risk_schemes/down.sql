DROP TABLE risk_enrollments;
DROP TABLE risk_schemes;
