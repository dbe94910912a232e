-- One financial year of stats_escalation, every column, in a stable order.
SELECT council_code, financial_year, stage, complaints, escalated
FROM stats_escalation
WHERE council_code = :council_code AND financial_year = :financial_year
ORDER BY stage
