-- Every timeliness measure of every year the council has counted data in, as zero responses
-- where stats_timeliness.sql found none (run after stats_headlines_zeros.sql: every year is
-- in new_stats_headlines by then).
INSERT INTO new_stats_timeliness (council_code, financial_year, measure, responses, within_target)
SELECT :council_code, y.financial_year, m.measure, 0, 0
FROM (SELECT DISTINCT financial_year FROM new_stats_headlines) y
CROSS JOIN (
  SELECT 'stage1_within_10wd' AS measure
  UNION ALL SELECT 'stage1_within_20wd'
  UNION ALL SELECT 'stage2_within_25wd'
  UNION ALL SELECT 'stage2_within_65wd'
  UNION ALL SELECT 'stage3_panel_within_30wd'
  UNION ALL SELECT 'stage3_panel_report_within_5wd'
  UNION ALL SELECT 'stage3_director_within_15wd'
) m
WHERE NOT EXISTS (
  SELECT 1 FROM new_stats_timeliness t
  WHERE t.financial_year = y.financial_year AND t.measure = m.measure
)
