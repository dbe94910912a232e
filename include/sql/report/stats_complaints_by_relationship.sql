-- One financial year of stats_complaints_by_relationship, every column, in a stable order.
SELECT council_code, financial_year, relationship, complaints
FROM stats_complaints_by_relationship
WHERE council_code = :council_code AND financial_year = :financial_year
ORDER BY relationship
