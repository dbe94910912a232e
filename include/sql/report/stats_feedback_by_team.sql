-- One financial year of stats_feedback_by_team, every column, in a stable order.
SELECT council_code, financial_year, kind, service_area, team, received
FROM stats_feedback_by_team
WHERE council_code = :council_code AND financial_year = :financial_year
ORDER BY kind, service_area, team
