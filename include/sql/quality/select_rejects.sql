-- The rows currently rejected for a council.
SELECT rule_code, source_table, source_key, run_id, message, first_run_id, reference
FROM dq_rejects
WHERE council_code = :council_code
ORDER BY rule_code, source_table, source_key
