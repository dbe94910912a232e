-- When the council's most recent extract finished: the stats (and their reconciliation) must
-- have been built after it for the report to be fresh.
SELECT MAX(finished_at) AS last_finished_at
FROM etl_extract_runs
WHERE council_code = :council_code
