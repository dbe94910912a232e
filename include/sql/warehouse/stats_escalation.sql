-- Escalation, every financial year at once: the Stage 1 and Stage 2 rows requested in the year
-- (complaints) and how many of those complaints have a row of the next stage (escalated), as
-- the facts stand at this build, so a year's figure can still rise as cases progress.
-- The next stages are a hash join against the distinct (complaint, stage) pairs, not a
-- correlated lookup per row: the facts have no index.
INSERT INTO new_stats_escalation (council_code, financial_year, stage, complaints, escalated)
SELECT s.council_code, s.requested_fy, s.stage, COUNT(*), COUNT(nx.complaint_id)
FROM fact_stages s
LEFT JOIN (
  SELECT DISTINCT complaint_id, stage
  FROM fact_stages
  WHERE council_code = :council_code AND stage IN (2, 3)
) nx ON nx.complaint_id = s.complaint_id AND nx.stage = s.stage + 1
WHERE s.council_code = :council_code AND s.stage IN (1, 2)
  AND (:every_year = 1 OR s.requested_fy IN (SELECT financial_year FROM stats_years))
GROUP BY s.council_code, s.requested_fy, s.stage
