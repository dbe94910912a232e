-- Timeliness of one council's financial year (DATA.md section 2): for each measure, the
-- responses in the year and how many were within the target in working days. The targets are
-- bind parameters from settings; the measure names are fixed by the contract. A NULL duration
-- (e.g. no panel report date) is never within. Every measure a row, zeros included.
-- One pass over the year's stage rows (found by the year of their response, panel or panel
-- report) computes every measure; the rows are then spelled out one per measure.
WITH t AS (
  SELECT
    SUM(CASE WHEN stage = 1 AND response_fy = :financial_year THEN 1 ELSE 0 END) AS s1,
    SUM(CASE WHEN stage = 1 AND response_fy = :financial_year
              AND wd_request_to_response <= :stage1_target_wd THEN 1 ELSE 0 END) AS s1_target,
    SUM(CASE WHEN stage = 1 AND response_fy = :financial_year
              AND wd_request_to_response <= :stage1_extended_wd THEN 1 ELSE 0 END) AS s1_extended,
    SUM(CASE WHEN stage = 2 AND response_fy = :financial_year THEN 1 ELSE 0 END) AS s2,
    SUM(CASE WHEN stage = 2 AND response_fy = :financial_year
              AND wd_request_to_response <= :stage2_target_wd THEN 1 ELSE 0 END) AS s2_target,
    SUM(CASE WHEN stage = 2 AND response_fy = :financial_year
              AND wd_request_to_response <= :stage2_extended_wd THEN 1 ELSE 0 END) AS s2_extended,
    SUM(CASE WHEN stage = 3 AND panel_fy = :financial_year THEN 1 ELSE 0 END) AS panel,
    SUM(CASE WHEN stage = 3 AND panel_fy = :financial_year
              AND wd_request_to_panel <= :stage3_panel_wd THEN 1 ELSE 0 END) AS panel_within,
    SUM(CASE WHEN stage = 3 AND panel_report_fy = :financial_year THEN 1 ELSE 0 END) AS report,
    SUM(CASE WHEN stage = 3 AND panel_report_fy = :financial_year
              AND wd_panel_to_report <= :stage3_panel_report_wd THEN 1 ELSE 0 END)
      AS report_within,
    SUM(CASE WHEN stage = 3 AND response_fy = :financial_year THEN 1 ELSE 0 END) AS director,
    SUM(CASE WHEN stage = 3 AND response_fy = :financial_year
              AND wd_report_to_response <= :stage3_director_wd THEN 1 ELSE 0 END)
      AS director_within
  FROM fact_stages
  WHERE council_code = :council_code
    AND (response_fy = :financial_year OR panel_fy = :financial_year
         OR panel_report_fy = :financial_year)
)
INSERT INTO stats_timeliness (council_code, financial_year, measure, responses, within_target)
SELECT :council_code, :financial_year, m.measure, COALESCE(m.responses, 0),
       COALESCE(m.within_target, 0)
FROM (
  SELECT 'stage1_within_10wd' AS measure, s1 AS responses, s1_target AS within_target FROM t
  UNION ALL SELECT 'stage1_within_20wd', s1, s1_extended FROM t
  UNION ALL SELECT 'stage2_within_25wd', s2, s2_target FROM t
  UNION ALL SELECT 'stage2_within_65wd', s2, s2_extended FROM t
  UNION ALL SELECT 'stage3_panel_within_30wd', panel, panel_within FROM t
  UNION ALL SELECT 'stage3_panel_report_within_5wd', report, report_within FROM t
  UNION ALL SELECT 'stage3_director_within_15wd', director, director_within FROM t
) m
