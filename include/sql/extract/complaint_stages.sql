-- Complaint stages changed since the high-water mark (all rows on the first run), each with its
-- complaint's reference, so a rejected stage row is named the way the complaints team searches
-- (a subquery, not a join: a complaint_id the source holds twice must not double the row).
SELECT s.stage_id, s.complaint_id, s.stage, s.team_id, s.requested_date, s.extension_agreed,
       s.response_date, s.outcome, s.panel_date, s.panel_report_date,
       (SELECT MIN(c.reference) FROM complaints c WHERE c.complaint_id = s.complaint_id)
         AS complaint_reference,
       s.updated_at, s.deleted_at
FROM complaint_stages s
WHERE :since IS NULL OR s.updated_at > :since
ORDER BY s.stage_id
