-- The incremental build's input: the council's logged changes (etl_changed_rows), copied into
-- the temporary build_changes so the build deletes exactly the log rows it used, whatever is
-- logged while it runs. key_value: the key as a number, for the tables keyed by one (issue
-- categories are keyed by a code; '*', a whole table, makes the build a full one).
INSERT INTO build_changes (change_id, source_table, source_key, key_value)
SELECT change_id, source_table, source_key,
       CASE WHEN source_table = 'issue_categories' OR source_key = '*' THEN NULL
            ELSE CAST(source_key AS INTEGER) END
FROM etl_changed_rows
WHERE council_code = :council_code
