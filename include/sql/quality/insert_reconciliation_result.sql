-- One rule's verdict in a year's reconciliation (values as JSON text).
INSERT INTO dq_reconciliation_results (council_code, financial_year, rule_code, position,
                                       severity, description, passed, expected, observed,
                                       details)
VALUES (:council_code, :financial_year, :rule_code, :position, :severity, :description, :passed,
        :expected, :observed, :details)
