-- Every timeliness measure (dim_measure: the measures registry) of every year the council has
-- counted data in, as zero responses where stats_timeliness.sql found none (run after
-- stats_headlines_zeros.sql: every year is in new_stats_headlines by then).
INSERT INTO new_stats_timeliness (council_code, financial_year, measure, responses, within_target)
SELECT :council_code, y.financial_year, m.measure, 0, 0
FROM (SELECT DISTINCT financial_year FROM new_stats_headlines) y
CROSS JOIN dim_measure m
WHERE m.stats_table = 'stats_timeliness'
  AND NOT EXISTS (
    SELECT 1 FROM new_stats_timeliness t
    WHERE t.financial_year = y.financial_year AND t.measure = m.measure
  )
