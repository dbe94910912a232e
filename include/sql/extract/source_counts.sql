-- Rows the source holds that are not deleted, per table: the left side of RC01 (completeness).
-- Counted as all rows less the deleted ones: on PostgreSQL the first is an index-only scan of
-- the primary key and the second reads the small partial index of deleted rows
-- (ix_<table>_deleted), so the count costs far less than reading every row, which matters on
-- each daily extract of a large source. A council's own system without that index gets the
-- same numbers, only by reading more.
SELECT 'teams' AS source_table, COUNT(*) AS source_rows FROM teams
UNION ALL SELECT 'issue_categories', COUNT(*) FROM issue_categories
UNION ALL SELECT 'complaints',
  (SELECT COUNT(*) FROM complaints)
  - (SELECT COUNT(*) FROM complaints WHERE deleted_at IS NOT NULL)
UNION ALL SELECT 'complaint_stages',
  (SELECT COUNT(*) FROM complaint_stages)
  - (SELECT COUNT(*) FROM complaint_stages WHERE deleted_at IS NOT NULL)
UNION ALL SELECT 'feedback',
  (SELECT COUNT(*) FROM feedback)
  - (SELECT COUNT(*) FROM feedback WHERE deleted_at IS NOT NULL)
UNION ALL SELECT 'ombudsman_cases',
  (SELECT COUNT(*) FROM ombudsman_cases)
  - (SELECT COUNT(*) FROM ombudsman_cases WHERE deleted_at IS NOT NULL)
UNION ALL SELECT 'learning_actions',
  (SELECT COUNT(*) FROM learning_actions)
  - (SELECT COUNT(*) FROM learning_actions WHERE deleted_at IS NOT NULL)
