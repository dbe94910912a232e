-- Rows the source holds that are not deleted, per table: the left side of RC01 (completeness).
SELECT 'teams' AS source_table, COUNT(*) AS source_rows FROM teams
UNION ALL SELECT 'issue_categories', COUNT(*) FROM issue_categories
UNION ALL SELECT 'complaints', COUNT(*) FROM complaints WHERE deleted_at IS NULL
UNION ALL SELECT 'complaint_stages', COUNT(*) FROM complaint_stages WHERE deleted_at IS NULL
UNION ALL SELECT 'feedback', COUNT(*) FROM feedback WHERE deleted_at IS NULL
UNION ALL SELECT 'ombudsman_cases', COUNT(*) FROM ombudsman_cases WHERE deleted_at IS NULL
UNION ALL SELECT 'learning_actions', COUNT(*) FROM learning_actions WHERE deleted_at IS NULL
