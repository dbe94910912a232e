-- Complaints changed since the high-water mark (all rows on the first run).
-- Only what a figure needs: no complainant_id, no summary (personal data stays in the source).
-- The complainant's relationship to the child (a category: parent, advocate, ...) is the one
-- thing taken from the complainants table, joined here so that the table itself, and the
-- complainant's identity, never leave the source. A deleted complainant record gives none.
-- Rows come ordered by key so that a key the source holds twice is seen at once (DQ01).
SELECT c.complaint_id, c.reference, c.received_date, c.qualifying, c.issue, c.channel,
       p.relationship, c.updated_at, c.deleted_at
FROM complaints c
LEFT JOIN complainants p
  ON p.complainant_id = c.complainant_id AND p.deleted_at IS NULL
WHERE :since IS NULL OR c.updated_at > :since
ORDER BY c.complaint_id
