-- One financial year of stats_quarterly_timeliness, every column, in a stable order.
SELECT council_code, financial_year, quarter, measure, responses, within_target
FROM stats_quarterly_timeliness
WHERE council_code = :council_code AND financial_year = :financial_year
ORDER BY quarter, measure
