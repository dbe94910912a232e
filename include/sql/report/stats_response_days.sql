-- One financial year of stats_response_days, every column, in a stable order.
SELECT council_code, financial_year, stage, responses, mean_working_days, median_working_days
FROM stats_response_days
WHERE council_code = :council_code AND financial_year = :financial_year
ORDER BY stage
