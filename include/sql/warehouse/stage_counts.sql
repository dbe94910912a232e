-- One grouped pass over the council's stage rows: how many rows share each combination of what
-- stats_received_by_team, stats_outcomes_by_team and the stage measures of stats_headlines count
-- them by (stage, team, outcome, the financial years of the request and the response). Those
-- steps then sum this small table (thousands of rows) instead of each reading a million stage
-- rows again. Timeliness is counted by stats_timeliness.sql, measure by measure.
-- Every year, or (an incremental build) the rows of a year the build owes (the temporary
-- stats_years), by either date: each step that sums them counts by one of the two.
INSERT INTO stage_counts (stage, team_id, outcome, requested_fy, response_fy, stage_rows)
SELECT stage, team_id, outcome, requested_fy, response_fy, COUNT(*)
FROM fact_stages
WHERE council_code = :council_code AND stage IN (1, 2, 3)
  AND (:every_year = 1
       OR requested_fy IN (SELECT financial_year FROM stats_years)
       OR response_fy IN (SELECT financial_year FROM stats_years))
GROUP BY stage, team_id, outcome, requested_fy, response_fy
