-- A complaint in scope brings in the complaints that share its reference (DQ01: reference
-- shared). A complaint that shared its old reference is rejected now, so it is in scope already.
INSERT INTO dq_check_scope (council_code, source_table, source_key, key_value)
SELECT DISTINCT o.council_code, 'complaints', CAST(o.complaint_id AS VARCHAR(60)), o.complaint_id
FROM dq_check_scope k
JOIN stg_complaints c ON c.council_code = k.council_code AND c.complaint_id = k.key_value
JOIN stg_complaints o
  ON o.council_code = c.council_code AND o.reference = c.reference
 AND o.complaint_id <> c.complaint_id
WHERE k.council_code = :council_code AND k.source_table = 'complaints'
  AND NOT EXISTS (SELECT 1 FROM dq_check_scope e
                  WHERE e.council_code = o.council_code AND e.source_table = 'complaints'
                    AND e.key_value = o.complaint_id)
