-- Complaints that count: not deleted, not rejected, received on a real calendar date.
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
