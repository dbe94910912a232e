-- Ombudsman cases that count: not deleted, not rejected, real dates, and either linked to no
-- complaint or to a complaint that counts (fact_complaints is built first: not deleted, not
-- rejected, no stage row rejected).
INSERT INTO fact_ombudsman_cases (
  council_code, ombudsman_case_id, complaint_id, referred_date, referred_fy,
  decision_date, decision_fy, decision, maladministration
)
SELECT o.council_code, o.ombudsman_case_id, o.complaint_id, o.referred_date, rf.financial_year,
       o.decision_date, dd.financial_year, o.decision, o.maladministration
FROM stg_ombudsman_cases o
JOIN dim_date rf ON rf.date_key = o.referred_date
LEFT JOIN dim_date dd ON dd.date_key = o.decision_date
LEFT JOIN fact_complaints fc
  ON fc.council_code = o.council_code AND fc.complaint_id = o.complaint_id
WHERE o.council_code = :council_code
  -- The whole council, or (an incremental build) the rows in the temporary build_scope.
  AND (:whole_council = 1
       OR o.complaint_id IN (SELECT key_value FROM build_scope WHERE source_table = 'complaints')
       OR o.ombudsman_case_id IN (SELECT key_value FROM build_scope WHERE source_table = 'ombudsman_cases'))
  AND o.deleted_at IS NULL
  AND (o.complaint_id IS NULL OR fc.complaint_id IS NOT NULL)
  AND (o.decision_date IS NULL OR dd.date_key IS NOT NULL)
  AND NOT EXISTS (
    SELECT 1 FROM dq_rejects r
    WHERE r.council_code = o.council_code
      AND r.source_table = 'ombudsman_cases'
      AND r.source_key = CAST(o.ombudsman_case_id AS VARCHAR(60))
  )
