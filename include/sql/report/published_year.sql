-- Whether the council's final report of the year was published (signed off), and when: the
-- regional benchmark's report status (final when a row is found, else draft).
SELECT published_at, run_id
FROM dq_published_years
WHERE council_code = :council_code AND financial_year = :financial_year
