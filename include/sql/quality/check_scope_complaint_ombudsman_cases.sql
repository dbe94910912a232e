-- A complaint in scope (changed, added, deleted or removed) brings in its ombudsman cases: whether
-- they count (not belonging to a deleted complaint) and DQ07's "complaint does not exist" follow
-- it.
INSERT INTO dq_check_scope (council_code, source_table, source_key, key_value)
SELECT DISTINCT r.council_code, 'ombudsman_cases', CAST(r.ombudsman_case_id AS VARCHAR(60)), r.ombudsman_case_id
FROM dq_check_scope k
JOIN stg_ombudsman_cases r ON r.council_code = k.council_code AND r.complaint_id = k.key_value
WHERE k.council_code = :council_code AND k.source_table = 'complaints'
  AND NOT EXISTS (SELECT 1 FROM dq_check_scope e
                  WHERE e.council_code = r.council_code AND e.source_table = 'ombudsman_cases'
                    AND e.key_value = r.ombudsman_case_id)
