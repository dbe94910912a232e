-- Learning actions that count: not deleted, not rejected, real dates, their complaint counted
-- (fact_complaints is built first: not deleted, not rejected, no stage row rejected).
INSERT INTO fact_learning_actions (
  council_code, action_id, complaint_id, team_id, agreed_date, agreed_fy,
  action_text, status, completed_date
)
SELECT a.council_code, a.action_id, a.complaint_id, a.team_id, a.agreed_date, ad.financial_year,
       a.action_text, a.status, a.completed_date
FROM stg_learning_actions a
JOIN fact_complaints fc
  ON fc.council_code = a.council_code AND fc.complaint_id = a.complaint_id
JOIN dim_date ad ON ad.date_key = a.agreed_date
LEFT JOIN dim_date cd ON cd.date_key = a.completed_date
WHERE a.council_code = :council_code
  -- The whole council, or (an incremental build) the rows in the temporary build_scope.
  AND (:whole_council = 1
       OR a.complaint_id IN (SELECT key_value FROM build_scope WHERE source_table = 'complaints')
       OR a.action_id IN (SELECT key_value FROM build_scope WHERE source_table = 'learning_actions'))
  AND a.deleted_at IS NULL
  AND a.team_id IS NOT NULL
  AND (a.completed_date IS NULL OR cd.date_key IS NOT NULL)
  AND NOT EXISTS (
    SELECT 1 FROM dq_rejects r
    WHERE r.council_code = a.council_code
      AND r.source_table = 'learning_actions'
      AND r.source_key = CAST(a.action_id AS VARCHAR(60))
  )
