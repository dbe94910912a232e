-- Complaints that count: not deleted, not rejected, received on a real calendar date, and no
-- stage row of theirs rejected. A complaint with a rejected stage row is held back whole (with
-- its stages, learning actions and ombudsman cases, which count only with their complaint), as
-- a rejected complaint is: counting it without that stage would break complaints received =
-- Stage 1 received (RC03) and the like. It comes back on the next build once the source is put
-- right. RC01 counts it as held back (expectations/rc_warehouse.json).
INSERT INTO fact_complaints (
  council_code, complaint_id, received_date, received_fy, qualifying, issue, channel
)
SELECT c.council_code, c.complaint_id, c.received_date, rd.financial_year,
       c.qualifying, c.issue, c.channel
FROM stg_complaints c
JOIN dim_date rd ON rd.date_key = c.received_date
WHERE c.council_code = :council_code
  AND c.deleted_at IS NULL
  AND c.qualifying IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM dq_rejects r
    WHERE r.council_code = c.council_code
      AND r.source_table = 'complaints'
      AND r.source_key = CAST(c.complaint_id AS VARCHAR(60))
  )
  -- The complaints with a rejected stage row, found once from the (few) rejects and hashed,
  -- rather than looked up for every complaint.
  AND c.complaint_id NOT IN (
    SELECT s.complaint_id
    FROM dq_rejects r
    JOIN stg_complaint_stages s
      ON s.council_code = r.council_code
      AND CAST(s.stage_id AS VARCHAR(60)) = r.source_key
    WHERE r.council_code = :council_code
      AND r.source_table = 'complaint_stages'
      AND s.deleted_at IS NULL
      AND s.complaint_id IS NOT NULL
  )
