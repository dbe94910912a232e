-- Timeliness of one council, every financial year at once (DATA.md section 2): for each measure,
-- the responses in the year and how many were within the target in working days (the flags of
-- stage_counts.sql, computed from the settings' targets). The measure names are fixed by the
-- contract. Stage 1 and 2 responses and the Director's letter count by the year of the
-- response, the panel by the year of the panel, its report by the year of the report;
-- stats_timeliness_zeros.sql adds the measures a year has no responses for.
INSERT INTO new_stats_timeliness (council_code, financial_year, measure, responses, within_target)
SELECT :council_code, m.financial_year, m.measure, SUM(m.stage_rows), SUM(m.within_target)
FROM (
  SELECT response_fy AS financial_year,
         CASE WHEN stage = 1 THEN 'stage1_within_10wd' ELSE 'stage2_within_25wd' END AS measure,
         stage_rows, stage_rows * response_within_target AS within_target
  FROM stage_counts WHERE stage IN (1, 2) AND response_fy IS NOT NULL
  UNION ALL
  SELECT response_fy,
         CASE WHEN stage = 1 THEN 'stage1_within_20wd' ELSE 'stage2_within_65wd' END,
         stage_rows, stage_rows * response_within_extended
  FROM stage_counts WHERE stage IN (1, 2) AND response_fy IS NOT NULL
  UNION ALL
  SELECT panel_fy, 'stage3_panel_within_30wd', stage_rows, stage_rows * panel_within_target
  FROM stage_counts WHERE stage = 3 AND panel_fy IS NOT NULL
  UNION ALL
  SELECT panel_report_fy, 'stage3_panel_report_within_5wd', stage_rows,
         stage_rows * panel_report_within_target
  FROM stage_counts WHERE stage = 3 AND panel_report_fy IS NOT NULL
  UNION ALL
  SELECT response_fy, 'stage3_director_within_15wd', stage_rows,
         stage_rows * director_within_target
  FROM stage_counts WHERE stage = 3 AND response_fy IS NOT NULL
) m
GROUP BY m.financial_year, m.measure
