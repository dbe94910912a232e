-- Forget the figures stored for a (council, year) before storing the newly published ones.
DELETE FROM dq_published_figures
WHERE council_code = :council_code AND financial_year = :financial_year
