-- Complaints that count: not deleted, not rejected, received on a real calendar date, and no
-- stage row of theirs rejected. A complaint with a rejected stage row is held back whole (with
-- its stages, learning actions and ombudsman cases, which count only with their complaint), as
-- a rejected complaint is: counting it without that stage would break complaints received =
-- Stage 1 received (RC03) and the like. It comes back on the next build once the source is put
-- right. RC01 counts it as held back (expectations/rc_warehouse.json).
INSERT INTO fact_complaints (
  council_code, complaint_id, received_date, received_fy, qualifying, issue, channel,
  relationship
)
SELECT c.council_code, c.complaint_id, c.received_date, rd.financial_year,
       c.qualifying, c.issue, c.channel, c.relationship
FROM stg_complaints c
JOIN dim_date rd ON rd.date_key = c.received_date
WHERE c.council_code = :council_code
  -- The whole council, or (an incremental build) the rows in the temporary build_scope.
  AND (:whole_council = 1
       OR c.complaint_id IN (SELECT key_value FROM build_scope WHERE source_table = 'complaints'))
  AND c.deleted_at IS NULL
  AND c.qualifying IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM dq_rejects r
    WHERE r.council_code = c.council_code
      AND r.source_table = 'complaints'
      AND r.source_key = CAST(c.complaint_id AS VARCHAR(60))
  )
  -- No stage row of theirs rejected: an anti-join (hashed, or by the stage rows' complaint index
  -- and the rejects' source-row index), linear however many rows are rejected. NOT IN over the
  -- rejected stages' complaints cannot be an anti-join and is re-scanned per complaint once
  -- that list outgrows work_mem.
  AND NOT EXISTS (
    SELECT 1
    FROM stg_complaint_stages s
    WHERE s.council_code = c.council_code
      AND s.complaint_id = c.complaint_id
      AND s.deleted_at IS NULL
      AND EXISTS (
        SELECT 1 FROM dq_rejects r
        WHERE r.council_code = s.council_code
          AND r.source_table = 'complaint_stages'
          AND r.source_key = CAST(s.stage_id AS VARCHAR(60))
      )
  )
