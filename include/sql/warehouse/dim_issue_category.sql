-- Issue categories and their labels, from staging, less rejected rows.
INSERT INTO dim_issue_category (council_code, code, label)
SELECT i.council_code, i.code, i.label
FROM stg_issue_categories i
WHERE i.council_code = :council_code
  AND i.label IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM dq_rejects r
    WHERE r.council_code = i.council_code
      AND r.source_table = 'issue_categories'
      AND r.source_key = i.code
  )
