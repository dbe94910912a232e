-- The fingerprint of each year's stats as last built: what a reconciliation is about to check.
SELECT financial_year, fingerprint
FROM etl_year_builds
WHERE council_code = :council_code
