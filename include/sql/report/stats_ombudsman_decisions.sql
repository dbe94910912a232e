-- One financial year of stats_ombudsman_decisions, every column, in a stable order.
SELECT council_code, financial_year, decision, cases, maladministration
FROM stats_ombudsman_decisions
WHERE council_code = :council_code AND financial_year = :financial_year
ORDER BY decision
