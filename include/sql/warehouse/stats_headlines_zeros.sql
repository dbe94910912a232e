-- Every headline measure (dim_measure: the measures registry) of every year the council has
-- counted data in (a year with a headline count or a timeliness response), as zero where
-- stats_headlines.sql counted nothing.
INSERT INTO new_stats_headlines (council_code, financial_year, measure, value)
SELECT :council_code, y.financial_year, m.measure, 0
FROM (
  SELECT financial_year FROM new_stats_headlines
  UNION
  SELECT financial_year FROM new_stats_timeliness
) y
CROSS JOIN dim_measure m
WHERE m.stats_table = 'stats_headlines'
  AND NOT EXISTS (
    SELECT 1 FROM new_stats_headlines h
    WHERE h.financial_year = y.financial_year AND h.measure = m.measure
  )
