-- The keys an incremental build rebuilds the facts of (temporary build_scope, read by the
-- fact_*.sql steps and csc_complaints.warehouse.schema.FACT_SCOPES): each changed complaint,
-- compliment or comment, ombudsman case and learning action by its own key, and for a changed
-- stage row its complaint, both the one staging holds now and the one its fact row was last
-- built with (a stage row moved to another complaint changes both). Reference tables are not
-- here: the build compares the dimensions whole.
INSERT INTO build_scope (source_table, key_value)
SELECT DISTINCT k.source_table, k.key_value
FROM (
  SELECT b.source_table, b.key_value AS key_value
  FROM build_changes b
  WHERE b.source_table IN ('complaints', 'feedback', 'ombudsman_cases', 'learning_actions')
  UNION ALL
  SELECT 'complaints', s.complaint_id
  FROM build_changes b
  JOIN stg_complaint_stages s
    ON s.council_code = :council_code AND s.stage_id = b.key_value
  WHERE b.source_table = 'complaint_stages' AND s.complaint_id IS NOT NULL
  UNION ALL
  SELECT 'complaints', f.complaint_id
  FROM build_changes b
  JOIN fact_stages f
    ON f.council_code = :council_code AND f.stage_id = b.key_value
  WHERE b.source_table = 'complaint_stages'
) k
