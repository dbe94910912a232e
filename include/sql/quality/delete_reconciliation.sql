-- Forget a year's previous reconciliation before recording the new one.
DELETE FROM dq_reconciliations
WHERE council_code = :council_code AND financial_year = :financial_year
