-- When the warehouse last changed a year's stats (NULL: never built). The reconciliation the
-- report prints must be at least this recent.
SELECT MAX(built_at) AS built_at
FROM etl_year_builds
WHERE council_code = :council_code AND financial_year = :financial_year
