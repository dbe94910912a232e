DELETE FROM dq_published_years
WHERE council_code = :council_code AND financial_year = :financial_year
