-- A stage row in scope brings in its complaint (DQ09: a qualifying complaint needs a stage 1
-- row, a non-qualifying one has none); the complaint then brings in its other stages
-- (check_scope_complaint_rows.sql: DQ03's same stage twice, DQ08's missing earlier stage).
INSERT INTO dq_check_scope (council_code, source_table, source_key, key_value)
SELECT DISTINCT s.council_code, 'complaints', CAST(s.complaint_id AS VARCHAR(60)), s.complaint_id
FROM dq_check_scope k
JOIN stg_complaint_stages s
  ON s.council_code = k.council_code AND s.stage_id = k.key_value
WHERE k.council_code = :council_code AND k.source_table = 'complaint_stages'
  AND s.complaint_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM dq_check_scope c
                  WHERE c.council_code = s.council_code AND c.source_table = 'complaints'
                    AND c.key_value = s.complaint_id)
