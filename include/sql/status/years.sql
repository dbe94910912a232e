-- The council's financial years the warehouse holds anything for: built stats, a
-- reconciliation or published figures.
SELECT financial_year FROM etl_year_builds WHERE council_code = :council_code
UNION
SELECT financial_year FROM dq_reconciliations WHERE council_code = :council_code
UNION
SELECT financial_year FROM dq_published_years WHERE council_code = :council_code
