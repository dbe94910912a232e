-- Every row the council has rejected now: its verdict may change with no change of its own (a
-- referenced team corrected, a duplicate's twin changed, DQ02's "later than the extract" as time
-- passes), so each is checked again; not already in scope.
INSERT INTO dq_check_scope (council_code, source_table, source_key, key_value)
SELECT DISTINCT r.council_code, r.source_table, r.source_key,
       CASE WHEN r.source_table = 'issue_categories' THEN NULL
            ELSE CAST(r.source_key AS INTEGER) END
FROM dq_rejects r
WHERE r.council_code = :council_code
  AND NOT EXISTS (SELECT 1 FROM dq_check_scope k
                  WHERE k.council_code = r.council_code AND k.source_table = r.source_table
                    AND k.source_key = r.source_key)
