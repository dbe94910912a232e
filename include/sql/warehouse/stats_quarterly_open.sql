-- Cases open at the end of each quarter, by stage, one council, every year at once: the rows
-- of fact_open_stages (fact_open_stages.sql) counted, and those past their target date.
INSERT INTO new_stats_quarterly_open (
  council_code, financial_year, quarter, stage, as_at, open_cases, past_target
)
SELECT :council_code, financial_year, quarter, stage, as_at, COUNT(*),
       SUM(CASE WHEN past_target THEN 1 ELSE 0 END)
FROM fact_open_stages
WHERE council_code = :council_code
  AND (:every_year = 1 OR financial_year IN (SELECT financial_year FROM stats_years))
GROUP BY financial_year, quarter, stage, as_at
