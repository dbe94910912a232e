-- Each stage of each quarter counted for open cases (its last day in dim_date, before as_of, in
-- a year the council has counted data in) with no open case, as a zero row: so "none open"
-- reads 0, and a quarter not yet counted has no rows at all. Run after stats_quarterly_open.sql
-- and stats_headlines_zeros.sql.
INSERT INTO new_stats_quarterly_open (
  council_code, financial_year, quarter, stage, as_at, open_cases, past_target
)
SELECT :council_code, q.financial_year, (CAST(SUBSTR(q.date_key, 6, 2) AS INTEGER) + 8) / 3 % 4 + 1,
       st.stage, q.date_key, 0, 0
FROM (SELECT DISTINCT financial_year FROM new_stats_headlines) y
JOIN dim_date q ON q.financial_year = y.financial_year
CROSS JOIN (SELECT 1 AS stage UNION ALL SELECT 2 UNION ALL SELECT 3) st
WHERE SUBSTR(q.date_key, 6, 5) IN ('06-30', '09-30', '12-31', '03-31')
  AND q.date_key < :as_of
  AND NOT EXISTS (
    SELECT 1 FROM new_stats_quarterly_open o
    WHERE o.financial_year = q.financial_year AND o.as_at = q.date_key AND o.stage = st.stage
  )
