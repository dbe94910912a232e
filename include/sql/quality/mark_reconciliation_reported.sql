-- The alert step has dealt with a year's reconciliation by this run: it is no longer owed.
UPDATE dq_reconciliations
SET reported_at = :reported_at
WHERE council_code = :council_code AND financial_year = :financial_year AND run_id = :run_id
