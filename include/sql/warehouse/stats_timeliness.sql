-- Timeliness of one council, every financial year at once (DATA.md section 2): for each measure,
-- the responses in the year and how many were within the target in working days. The targets
-- are bind parameters from settings; the measure names are fixed by the contract. A NULL
-- duration (e.g. no panel report date) is never within. One grouped pass over the stage rows by
-- the year of their response, and one each (stage 3 only) by the year of the panel and of the
-- panel's report; stats_timeliness_zeros.sql adds the measures a year has no responses for.
WITH responded AS (
  SELECT response_fy AS financial_year, stage, COUNT(*) AS responses,
         SUM(CASE WHEN stage = 1 AND wd_request_to_response <= :stage1_target_wd THEN 1
                  WHEN stage = 2 AND wd_request_to_response <= :stage2_target_wd THEN 1
                  ELSE 0 END) AS within_target,
         SUM(CASE WHEN stage = 1 AND wd_request_to_response <= :stage1_extended_wd THEN 1
                  WHEN stage = 2 AND wd_request_to_response <= :stage2_extended_wd THEN 1
                  ELSE 0 END) AS within_extended,
         SUM(CASE WHEN wd_report_to_response <= :stage3_director_wd THEN 1 ELSE 0 END)
           AS within_director
  FROM fact_stages
  WHERE council_code = :council_code AND response_fy IS NOT NULL AND stage IN (1, 2, 3)
  GROUP BY response_fy, stage
),
panels AS (
  SELECT panel_fy AS financial_year, COUNT(*) AS responses,
         SUM(CASE WHEN wd_request_to_panel <= :stage3_panel_wd THEN 1 ELSE 0 END) AS within_target
  FROM fact_stages
  WHERE council_code = :council_code AND stage = 3 AND panel_fy IS NOT NULL
  GROUP BY panel_fy
),
panel_reports AS (
  SELECT panel_report_fy AS financial_year, COUNT(*) AS responses,
         SUM(CASE WHEN wd_panel_to_report <= :stage3_panel_report_wd THEN 1 ELSE 0 END)
           AS within_target
  FROM fact_stages
  WHERE council_code = :council_code AND stage = 3 AND panel_report_fy IS NOT NULL
  GROUP BY panel_report_fy
)
INSERT INTO new_stats_timeliness (council_code, financial_year, measure, responses, within_target)
SELECT :council_code, m.financial_year, m.measure, m.responses, m.within_target
FROM (
  SELECT financial_year, 'stage1_within_10wd' AS measure, responses, within_target
  FROM responded WHERE stage = 1
  UNION ALL
  SELECT financial_year, 'stage1_within_20wd', responses, within_extended
  FROM responded WHERE stage = 1
  UNION ALL
  SELECT financial_year, 'stage2_within_25wd', responses, within_target
  FROM responded WHERE stage = 2
  UNION ALL
  SELECT financial_year, 'stage2_within_65wd', responses, within_extended
  FROM responded WHERE stage = 2
  UNION ALL
  SELECT financial_year, 'stage3_panel_within_30wd', responses, within_target FROM panels
  UNION ALL
  SELECT financial_year, 'stage3_panel_report_within_5wd', responses, within_target
  FROM panel_reports
  UNION ALL
  SELECT financial_year, 'stage3_director_within_15wd', responses, within_director
  FROM responded WHERE stage = 3
) m
