-- Timeliness of one council, every financial year at once (docs/counting-rules.md). One pass
-- over the stage rows, each joined to the timeliness measures of its stage (dim_measure: the
-- measures registry, csc_complaints.measures) and their targets in working days (the temporary
-- measure_targets, from the settings). A measure's responses are its stage's rows whose end date
-- falls in the year; within are those whose working days from its start date to its end date
-- (fact_stages' duration between the two; NULL when either date is missing) are at most the
-- target. stats_timeliness_zeros.sql adds the measures a year has no responses for.
-- The CASEs name fact_stages' columns for the stage row's dates; the pairs of dates a duration
-- exists for are csc_complaints.warehouse.schema.STAGE_DURATIONS, which the registry is checked
-- against.
INSERT INTO new_stats_timeliness (council_code, financial_year, measure, responses, within_target)
SELECT :council_code, counted.financial_year, counted.measure, COUNT(*),
       SUM(CASE WHEN counted.working_days <= counted.target_wd THEN 1 ELSE 0 END)
FROM (
  SELECT m.measure, t.target_wd,
         CASE m.end_date
           WHEN 'requested_date' THEN s.requested_fy
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
  FROM fact_stages s
  JOIN dim_measure m ON m.stats_table = 'stats_timeliness' AND m.stage = s.stage
  JOIN measure_targets t ON t.measure = m.measure
  WHERE s.council_code = :council_code
) counted
WHERE counted.financial_year IS NOT NULL
GROUP BY counted.financial_year, counted.measure
