-- Every rule's verdict in each year's latest reconciliation, in reconciliation.json's order.
SELECT financial_year, rule_code, severity, description, passed, expected, observed, details
FROM dq_reconciliation_results
WHERE council_code = :council_code
ORDER BY financial_year, position
