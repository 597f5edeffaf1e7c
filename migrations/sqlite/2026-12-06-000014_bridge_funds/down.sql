DROP TABLE bridge_loans;
DROP TABLE bridge_funds;
