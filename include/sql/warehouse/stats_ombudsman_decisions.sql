-- Ombudsman decisions in each financial year (decision_date), by the decision (none recorded:
-- 'not recorded', csc_complaints.warehouse.schema.NOT_RECORDED), and how many of them found
-- maladministration.
INSERT INTO new_stats_ombudsman_decisions (
  council_code, financial_year, decision, cases, maladministration
)
SELECT o.council_code, o.decision_fy, COALESCE(NULLIF(o.decision, ''), 'not recorded'),
       COUNT(*), SUM(CASE WHEN o.maladministration THEN 1 ELSE 0 END)
FROM fact_ombudsman_cases o
WHERE o.council_code = :council_code AND o.decision_fy IS NOT NULL
  AND (:every_year = 1 OR o.decision_fy IN (SELECT financial_year FROM stats_years))
GROUP BY o.council_code, o.decision_fy, COALESCE(NULLIF(o.decision, ''), 'not recorded')
