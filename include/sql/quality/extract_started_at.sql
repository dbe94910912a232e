-- When the given extract run started (DQ02: no date may be later than that moment); when the
-- run is unknown, the latest extract of the council.
SELECT MAX(started_at) AS started_at
FROM etl_extract_runs
WHERE council_code = :council_code AND (run_id = :run_id OR :run_id IS NULL)
