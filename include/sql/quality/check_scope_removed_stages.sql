-- Stage rows logged as changed that staging no longer holds (removed by the source comparison):
-- their complaint is unknown now, so its verdict and its other stages' cannot be re-checked row
-- by row, and the check is a full one.
SELECT COUNT(*) FROM dq_check_scope k
WHERE k.council_code = :council_code AND k.source_table = 'complaint_stages'
  AND NOT EXISTS (SELECT 1 FROM stg_complaint_stages s
                  WHERE s.council_code = k.council_code AND s.stage_id = k.key_value)
