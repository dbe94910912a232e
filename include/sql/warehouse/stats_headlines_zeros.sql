-- Every headline measure of every year the council has counted data in (a year with a headline
-- count or a timeliness response), as zero where stats_headlines.sql counted nothing.
INSERT INTO new_stats_headlines (council_code, financial_year, measure, value)
SELECT :council_code, y.financial_year, m.measure, 0
FROM (
  SELECT financial_year FROM new_stats_headlines
  UNION
  SELECT financial_year FROM new_stats_timeliness
) y
CROSS JOIN (
  SELECT 'complaints_received' AS measure
  UNION ALL SELECT 'non_qualifying_received'
  UNION ALL SELECT 'compliments_received'
  UNION ALL SELECT 'comments_received'
  UNION ALL SELECT 'stage1_received'
  UNION ALL SELECT 'stage2_received'
  UNION ALL SELECT 'stage3_received'
  UNION ALL SELECT 'stage1_decisions'
  UNION ALL SELECT 'stage2_decisions'
  UNION ALL SELECT 'stage3_decisions'
  UNION ALL SELECT 'ombudsman_referred'
  UNION ALL SELECT 'ombudsman_determined'
  UNION ALL SELECT 'ombudsman_maladministration'
  UNION ALL SELECT 'learning_actions_agreed'
) m
WHERE NOT EXISTS (
  SELECT 1 FROM new_stats_headlines h
  WHERE h.financial_year = y.financial_year AND h.measure = m.measure
)
