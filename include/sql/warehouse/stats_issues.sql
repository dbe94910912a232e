-- Qualifying complaints received in each financial year, by primary issue.
INSERT INTO new_stats_issues (council_code, financial_year, issue, label, complaints)
SELECT c.council_code, c.received_fy, c.issue, i.label, COUNT(*)
FROM fact_complaints c
JOIN dim_issue_category i ON i.council_code = c.council_code AND i.code = c.issue
WHERE c.council_code = :council_code AND c.qualifying
  AND (:every_year = 1 OR c.received_fy IN (SELECT financial_year FROM stats_years))
GROUP BY c.council_code, c.received_fy, c.issue, i.label
