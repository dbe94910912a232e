-- Forget a year's previous reconciliation results before recording the new ones.
DELETE FROM dq_reconciliation_results
WHERE council_code = :council_code AND financial_year = :financial_year
