-- Compliments and comments that count: not deleted, not rejected, received on a real date.
INSERT INTO fact_feedback (council_code, feedback_id, kind, team_id, received_date, received_fy)
SELECT f.council_code, f.feedback_id, f.kind, f.team_id, f.received_date, rd.financial_year
FROM stg_feedback f
JOIN dim_date rd ON rd.date_key = f.received_date
WHERE f.council_code = :council_code
  -- The whole council, or (an incremental build) the rows in the temporary build_scope.
  AND (:whole_council = 1
       OR f.feedback_id IN (SELECT key_value FROM build_scope WHERE source_table = 'feedback'))
  AND f.deleted_at IS NULL
  AND f.kind IS NOT NULL
  AND f.team_id IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM dq_rejects r
    WHERE r.council_code = f.council_code
      AND r.source_table = 'feedback'
      AND r.source_key = CAST(f.feedback_id AS VARCHAR(60))
  )
