-- Timeliness of one council's financial year (DATA.md section 2): for each measure, the
-- responses in the year and how many were within the target in working days. The targets are
-- bind parameters from settings; the measure names are fixed by the contract. A NULL duration
-- (e.g. no panel report date) is never within. Every measure a row, zeros included.
INSERT INTO stats_timeliness (council_code, financial_year, measure, responses, within_target)
SELECT :council_code, :financial_year, m.measure, m.responses, m.within_target
FROM (
  SELECT 'stage1_within_10wd' AS measure, COUNT(*) AS responses,
         COALESCE(SUM(CASE WHEN wd_request_to_response <= :stage1_target_wd
                           THEN 1 ELSE 0 END), 0) AS within_target
  FROM fact_stages
  WHERE council_code = :council_code AND response_fy = :financial_year AND stage = 1
  UNION ALL
  SELECT 'stage1_within_20wd', COUNT(*),
         COALESCE(SUM(CASE WHEN wd_request_to_response <= :stage1_extended_wd
                           THEN 1 ELSE 0 END), 0)
  FROM fact_stages
  WHERE council_code = :council_code AND response_fy = :financial_year AND stage = 1
  UNION ALL
  SELECT 'stage2_within_25wd', COUNT(*),
         COALESCE(SUM(CASE WHEN wd_request_to_response <= :stage2_target_wd
                           THEN 1 ELSE 0 END), 0)
  FROM fact_stages
  WHERE council_code = :council_code AND response_fy = :financial_year AND stage = 2
  UNION ALL
  SELECT 'stage2_within_65wd', COUNT(*),
         COALESCE(SUM(CASE WHEN wd_request_to_response <= :stage2_extended_wd
                           THEN 1 ELSE 0 END), 0)
  FROM fact_stages
  WHERE council_code = :council_code AND response_fy = :financial_year AND stage = 2
  UNION ALL
  SELECT 'stage3_panel_within_30wd', COUNT(*),
         COALESCE(SUM(CASE WHEN wd_request_to_panel <= :stage3_panel_wd
                           THEN 1 ELSE 0 END), 0)
  FROM fact_stages
  WHERE council_code = :council_code AND panel_fy = :financial_year AND stage = 3
  UNION ALL
  SELECT 'stage3_panel_report_within_5wd', COUNT(*),
         COALESCE(SUM(CASE WHEN wd_panel_to_report <= :stage3_panel_report_wd
                           THEN 1 ELSE 0 END), 0)
  FROM fact_stages
  WHERE council_code = :council_code AND panel_report_fy = :financial_year AND stage = 3
  UNION ALL
  SELECT 'stage3_director_within_15wd', COUNT(*),
         COALESCE(SUM(CASE WHEN wd_report_to_response <= :stage3_director_wd
                           THEN 1 ELSE 0 END), 0)
  FROM fact_stages
  WHERE council_code = :council_code AND response_fy = :financial_year AND stage = 3
) m
