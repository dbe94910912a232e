-- A year's stats build: the fingerprint of the stats it holds, when and by which run (no row:
-- never built, or emptied).
SELECT fingerprint, built_at, run_id
FROM etl_year_builds
WHERE council_code = :council_code AND financial_year = :financial_year
