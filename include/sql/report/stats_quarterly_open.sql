-- One financial year of stats_quarterly_open, every column, in a stable order.
SELECT council_code, financial_year, quarter, stage, as_at, open_cases, past_target
FROM stats_quarterly_open
WHERE council_code = :council_code AND financial_year = :financial_year
ORDER BY quarter, stage
