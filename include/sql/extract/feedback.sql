-- Compliments and comments changed since the high-water mark. The summary is personal data: not selected.
SELECT feedback_id, kind, team_id, received_date, updated_at, deleted_at
FROM feedback
WHERE :since IS NULL OR updated_at > :since
ORDER BY feedback_id
