-- The rows logged as changed (etl_changed_rows) since the council's last row check: written or
-- removed by an extract or a source comparison, or whose reject changed. key_value: the key as a
-- number, for every table but issue_categories (keyed by a code).
INSERT INTO dq_check_scope (council_code, source_table, source_key, key_value)
SELECT DISTINCT council_code, source_table, source_key,
       CASE WHEN source_table = 'issue_categories' THEN NULL
            ELSE CAST(source_key AS INTEGER) END
FROM etl_changed_rows
WHERE council_code = :council_code
  AND change_id > :after_change_id AND change_id <= :up_to_change_id
  AND source_key <> '*'
