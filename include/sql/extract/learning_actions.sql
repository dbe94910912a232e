-- Organisational learning changed since the high-water mark. action_text is written for publication.
SELECT action_id, complaint_id, team_id, agreed_date, action_text, status, completed_date,
       updated_at, deleted_at
FROM learning_actions
WHERE :since IS NULL OR updated_at > :since
ORDER BY action_id
