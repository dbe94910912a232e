-- The council's latest finished extract run: when it finished and its run id. A run's tables
-- are recorded in the run's one transaction, so a run recorded here succeeded.
SELECT run_id, MAX(finished_at) AS finished_at
FROM etl_extract_runs
WHERE council_code = :council_code
GROUP BY run_id
ORDER BY finished_at DESC, run_id DESC
LIMIT 1
