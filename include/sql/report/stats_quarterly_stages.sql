-- One financial year of stats_quarterly_stages, every column, in a stable order.
SELECT council_code, financial_year, quarter, stage, received, decided
FROM stats_quarterly_stages
WHERE council_code = :council_code AND financial_year = :financial_year
ORDER BY quarter, stage
