-- Store a year's figures as published (RC07 compares later builds with them).
INSERT INTO dq_published_figures (council_code, financial_year, stats_table, figure, value)
SELECT council_code, financial_year, stats_table, figure, value
FROM stats_figures
WHERE council_code = :council_code AND financial_year = :financial_year
