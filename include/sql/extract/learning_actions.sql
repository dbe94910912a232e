-- Organisational learning changed since the high-water mark, each with its complaint's
-- reference. action_text is written for publication.
SELECT a.action_id, a.complaint_id, a.team_id, a.agreed_date, a.action_text, a.status,
       a.completed_date,
       (SELECT MIN(c.reference) FROM complaints c WHERE c.complaint_id = a.complaint_id)
         AS complaint_reference,
       a.updated_at, a.deleted_at
FROM learning_actions a
WHERE :since IS NULL OR a.updated_at > :since
ORDER BY a.action_id
