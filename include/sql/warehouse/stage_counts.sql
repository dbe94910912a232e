-- One grouped pass over the council's stage rows: how many rows share each combination of what
-- the stage-based stats count them by (stage, team, outcome, the financial years of their dates,
-- and whether each working-day duration is within its target; the targets are bind parameters
-- from settings, and a NULL duration is never within). stats_received_by_team,
-- stats_outcomes_by_team, the stage measures of stats_headlines and stats_timeliness then sum
-- this small table (thousands of rows) instead of each reading a million stage rows again.
INSERT INTO stage_counts (
  stage, team_id, outcome, requested_fy, response_fy, panel_fy, panel_report_fy,
  response_within_target, response_within_extended, panel_within_target,
  panel_report_within_target, director_within_target, stage_rows
)
SELECT stage, team_id, outcome, requested_fy, response_fy, panel_fy, panel_report_fy,
       CASE WHEN stage = 1 AND wd_request_to_response <= :stage1_target_wd THEN 1
            WHEN stage = 2 AND wd_request_to_response <= :stage2_target_wd THEN 1
            ELSE 0 END,
       CASE WHEN stage = 1 AND wd_request_to_response <= :stage1_extended_wd THEN 1
            WHEN stage = 2 AND wd_request_to_response <= :stage2_extended_wd THEN 1
            ELSE 0 END,
       CASE WHEN wd_request_to_panel <= :stage3_panel_wd THEN 1 ELSE 0 END,
       CASE WHEN wd_panel_to_report <= :stage3_panel_report_wd THEN 1 ELSE 0 END,
       CASE WHEN wd_report_to_response <= :stage3_director_wd THEN 1 ELSE 0 END,
       COUNT(*)
FROM fact_stages
WHERE council_code = :council_code AND stage IN (1, 2, 3)
-- By position: the flags are the CASE expressions above, written once.
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
