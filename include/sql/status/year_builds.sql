-- Each year's latest build of its stats (how many rows, when, by which run).
SELECT financial_year, stats_rows, built_at, run_id
FROM etl_year_builds
WHERE council_code = :council_code
