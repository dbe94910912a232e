-- Each year whose final report was published: when, and by which run of the report DAG.
SELECT financial_year, published_at, run_id
FROM dq_published_years
WHERE council_code = :council_code
