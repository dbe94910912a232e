-- Every council the warehouse holds anything for: extracted, built, reconciled or rejected rows.
SELECT council_code FROM etl_extract_runs
UNION
SELECT council_code FROM etl_year_builds
UNION
SELECT council_code FROM dq_reconciliations
UNION
SELECT council_code FROM dq_rejects
