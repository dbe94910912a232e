-- One financial year of stats_issues, every column, in a stable order.
SELECT council_code, financial_year, issue, label, complaints
FROM stats_issues
WHERE council_code = :council_code AND financial_year = :financial_year
ORDER BY issue
