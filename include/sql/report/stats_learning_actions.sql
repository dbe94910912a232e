-- One financial year of stats_learning_actions, every column, in a stable order.
SELECT council_code, financial_year, service_area, team, agreed, completed
FROM stats_learning_actions
WHERE council_code = :council_code AND financial_year = :financial_year
ORDER BY service_area, team
