-- A complaint in scope (changed, added, deleted or removed) brings in its complaint stages: whether
-- they count (not belonging to a deleted complaint) and DQ07's "complaint does not exist" follow
-- it, and a stage row's siblings (DQ03, DQ08) come in through it.
INSERT INTO dq_check_scope (council_code, source_table, source_key, key_value)
SELECT DISTINCT r.council_code, 'complaint_stages', CAST(r.stage_id AS VARCHAR(60)), r.stage_id
FROM dq_check_scope k
JOIN stg_complaint_stages r ON r.council_code = k.council_code AND r.complaint_id = k.key_value
WHERE k.council_code = :council_code AND k.source_table = 'complaints'
  AND NOT EXISTS (SELECT 1 FROM dq_check_scope e
                  WHERE e.council_code = r.council_code AND e.source_table = 'complaint_stages'
                    AND e.key_value = r.stage_id)
