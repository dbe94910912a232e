-- An issue category in scope (added, relabelled, removed since the last check) brings in the
-- complaints that name it (DQ07: issue that is no category, or one DQ12 rejects).
INSERT INTO dq_check_scope (council_code, source_table, source_key, key_value)
SELECT DISTINCT c.council_code, 'complaints', CAST(c.complaint_id AS VARCHAR(60)), c.complaint_id
FROM dq_check_scope k
JOIN stg_complaints c ON c.council_code = k.council_code AND c.issue = k.source_key
WHERE k.council_code = :council_code AND k.source_table = 'issue_categories'
  AND NOT EXISTS (SELECT 1 FROM dq_check_scope e
                  WHERE e.council_code = c.council_code AND e.source_table = 'complaints'
                    AND e.key_value = c.complaint_id)
