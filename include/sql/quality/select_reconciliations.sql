-- Each year's latest reconciliation of a council.
SELECT financial_year, stats_fingerprint, rejects_fingerprint, run_id, reconciled_at, data_docs,
       reported_at
FROM dq_reconciliations
WHERE council_code = :council_code
ORDER BY financial_year
