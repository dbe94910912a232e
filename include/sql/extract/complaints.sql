-- Complaints changed since the high-water mark (all rows on the first run).
-- Only what a figure needs: no complainant_id, no summary (personal data stays in the source).
-- Rows come ordered by key so that a key the source holds twice is seen at once (DQ01).
SELECT complaint_id, reference, received_date, qualifying, issue, channel, updated_at, deleted_at
FROM complaints
WHERE :since IS NULL OR updated_at > :since
ORDER BY complaint_id
