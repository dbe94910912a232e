-- Each rejected row with every date it carries, to tell which financial years it keeps in
-- DRAFT. A row whose dates cannot be read counts in every year.
SELECT q.rule_code, q.source_table, q.source_key, c.received_date AS d1, NULL AS d2,
       NULL AS d3, NULL AS d4
FROM dq_rejects q
JOIN stg_complaints c
  ON c.council_code = q.council_code AND CAST(c.complaint_id AS VARCHAR(60)) = q.source_key
WHERE q.council_code = :council_code AND q.source_table = 'complaints'
UNION ALL
SELECT q.rule_code, q.source_table, q.source_key, s.requested_date, s.response_date,
       s.panel_date, s.panel_report_date
FROM dq_rejects q
JOIN stg_complaint_stages s
  ON s.council_code = q.council_code AND CAST(s.stage_id AS VARCHAR(60)) = q.source_key
WHERE q.council_code = :council_code AND q.source_table = 'complaint_stages'
UNION ALL
SELECT q.rule_code, q.source_table, q.source_key, f.received_date, NULL, NULL, NULL
FROM dq_rejects q
JOIN stg_feedback f
  ON f.council_code = q.council_code AND CAST(f.feedback_id AS VARCHAR(60)) = q.source_key
WHERE q.council_code = :council_code AND q.source_table = 'feedback'
UNION ALL
SELECT q.rule_code, q.source_table, q.source_key, o.referred_date, o.decision_date, NULL, NULL
FROM dq_rejects q
JOIN stg_ombudsman_cases o
  ON o.council_code = q.council_code
  AND CAST(o.ombudsman_case_id AS VARCHAR(60)) = q.source_key
WHERE q.council_code = :council_code AND q.source_table = 'ombudsman_cases'
UNION ALL
SELECT q.rule_code, q.source_table, q.source_key, a.agreed_date, a.completed_date, NULL, NULL
FROM dq_rejects q
JOIN stg_learning_actions a
  ON a.council_code = q.council_code AND CAST(a.action_id AS VARCHAR(60)) = q.source_key
WHERE q.council_code = :council_code AND q.source_table = 'learning_actions'
UNION ALL
SELECT q.rule_code, q.source_table, q.source_key, NULL, NULL, NULL, NULL
FROM dq_rejects q
WHERE q.council_code = :council_code AND q.source_table IN ('teams', 'issue_categories')
