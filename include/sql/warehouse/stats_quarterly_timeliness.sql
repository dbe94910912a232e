-- Timeliness by quarter, one council, every year at once: stats_timeliness.sql's counts
-- (docs/counting-rules.md) split by the quarter of each measure's end date, so a year's quarters
-- sum to its stats_timeliness row (RC13). Every timeliness measure of the registry
-- (dim_measure) and its target (the temporary measure_targets) as there; a month's quarter:
-- (month + 8) / 3 % 4 + 1. A missing row means zero.
INSERT INTO new_stats_quarterly_timeliness (
  council_code, financial_year, quarter, measure, responses, within_target
)
SELECT :council_code, counted.financial_year, counted.quarter, counted.measure,
       SUM(counted.stage_rows),
       SUM(CASE WHEN counted.working_days <= counted.target_wd THEN counted.stage_rows ELSE 0 END)
FROM (
  SELECT m.measure, t.target_wd, s.stage_rows,
         CASE m.end_date
           WHEN 'response_date' THEN s.response_fy
           WHEN 'panel_date' THEN s.panel_fy
           WHEN 'panel_report_date' THEN s.panel_report_fy
         END AS financial_year,
         (CAST(CASE m.end_date
           WHEN 'response_date' THEN s.response_month
           WHEN 'panel_date' THEN s.panel_month
           WHEN 'panel_report_date' THEN s.panel_report_month
         END AS INTEGER) + 8) / 3 % 4 + 1 AS quarter,
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
    SELECT stage, response_fy, SUBSTR(response_date, 6, 2) AS response_month,
           panel_fy, SUBSTR(panel_date, 6, 2) AS panel_month,
           panel_report_fy, SUBSTR(panel_report_date, 6, 2) AS panel_report_month,
           wd_request_to_response, wd_request_to_panel, wd_panel_to_report,
           wd_report_to_response, COUNT(*) AS stage_rows
    FROM fact_stages
    WHERE council_code = :council_code
      AND (:every_year = 1
           OR response_fy IN (SELECT financial_year FROM stats_years)
           OR panel_fy IN (SELECT financial_year FROM stats_years)
           OR panel_report_fy IN (SELECT financial_year FROM stats_years))
    GROUP BY stage, response_fy, SUBSTR(response_date, 6, 2), panel_fy,
             SUBSTR(panel_date, 6, 2), panel_report_fy, SUBSTR(panel_report_date, 6, 2),
             wd_request_to_response, wd_request_to_panel, wd_panel_to_report,
             wd_report_to_response
  ) s
  JOIN dim_measure m ON m.stats_table = 'stats_timeliness' AND m.stage = s.stage
  JOIN measure_targets t ON t.measure = m.measure
) counted
WHERE counted.financial_year IS NOT NULL
  AND (:every_year = 1 OR counted.financial_year IN (SELECT financial_year FROM stats_years))
GROUP BY counted.financial_year, counted.quarter, counted.measure
