-- Complaint stages changed since the high-water mark (all rows on the first run).
SELECT stage_id, complaint_id, stage, team_id, requested_date, extension_agreed, response_date,
       outcome, panel_date, panel_report_date, updated_at, deleted_at
FROM complaint_stages
WHERE :since IS NULL OR updated_at > :since
ORDER BY stage_id
