-- One financial year of stats_headlines (docs/warehouse.md), every column, in a stable order.
SELECT council_code, financial_year, measure, value
FROM stats_headlines
WHERE council_code = :council_code AND financial_year = :financial_year
ORDER BY measure
