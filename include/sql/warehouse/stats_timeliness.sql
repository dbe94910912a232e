-- Timeliness of one council, every financial year at once (docs/counting-rules.md): for each
-- timeliness measure of the registry (dim_measure: csc_complaints.measures), the stage rows of
-- its stage whose end date falls in the year (responses), and how many of them took at most
-- its target in working days from its start date to its end date (within_target; a missing
-- date is never within). The targets are the settings', in the temporary measure_targets.
-- The stage rows are first counted by stage, the years of the dates a measure can end at and
-- the durations (one grouped pass; durations recur, so the counts are a small table), and each
-- measure then sums that instead of reading a million stage rows. stats_timeliness_zeros.sql
-- adds the measures a year has no responses for.
-- The CASEs name fact_stages' columns for the dates and the durations between them: the pairs
-- of dates it counts are csc_complaints.warehouse.schema.STAGE_DURATIONS, which the registry is
-- checked against when the schema is created.
INSERT INTO new_stats_timeliness (council_code, financial_year, measure, responses, within_target)
SELECT :council_code, counted.financial_year, counted.measure, SUM(counted.stage_rows),
       SUM(CASE WHEN counted.working_days <= counted.target_wd THEN counted.stage_rows ELSE 0 END)
FROM (
  SELECT m.measure, t.target_wd, s.stage_rows,
         CASE m.end_date
           WHEN 'response_date' THEN s.response_fy
           WHEN 'panel_date' THEN s.panel_fy
           WHEN 'panel_report_date' THEN s.panel_report_fy
         END AS financial_year,
         CASE
           WHEN m.start_date = 'requested_date' AND m.end_date = 'response_date'
             THEN s.wd_request_to_response
           WHEN m.start_date = 'requested_date' AND m.end_date = 'panel_date'
             THEN s.wd_request_to_panel
           WHEN m.start_date = 'panel_date' AND m.end_date = 'panel_report_date'
             THEN s.wd_panel_to_report
           WHEN m.start_date = 'panel_report_date' AND m.end_date = 'response_date'
             THEN s.wd_report_to_response
         END AS working_days
  FROM (
    SELECT stage, response_fy, panel_fy, panel_report_fy, wd_request_to_response,
           wd_request_to_panel, wd_panel_to_report, wd_report_to_response, COUNT(*) AS stage_rows
    FROM fact_stages
    WHERE council_code = :council_code
      AND (:every_year = 1
           OR response_fy IN (SELECT financial_year FROM stats_years)
           OR panel_fy IN (SELECT financial_year FROM stats_years)
           OR panel_report_fy IN (SELECT financial_year FROM stats_years))
    GROUP BY stage, response_fy, panel_fy, panel_report_fy, wd_request_to_response,
             wd_request_to_panel, wd_panel_to_report, wd_report_to_response
  ) s
  JOIN dim_measure m ON m.stats_table = 'stats_timeliness' AND m.stage = s.stage
  JOIN measure_targets t ON t.measure = m.measure
) counted
WHERE counted.financial_year IS NOT NULL
  AND (:every_year = 1 OR counted.financial_year IN (SELECT financial_year FROM stats_years))
GROUP BY counted.financial_year, counted.measure
