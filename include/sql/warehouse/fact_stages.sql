-- Stage rows that count: not deleted, not rejected, their complaint counted (fact_complaints
-- is built first; a complaint with a rejected stage row is not, so its other stage rows stay
-- out with it), every date given a real calendar date. The working-day durations are
-- computed here, once per stage row: index(later date) - index(earlier date).
INSERT INTO fact_stages (
  council_code, stage_id, complaint_id, stage, team_id, outcome, extension_agreed,
  requested_date, requested_fy, response_date, response_fy,
  panel_date, panel_fy, panel_report_date, panel_report_fy,
  wd_request_to_response, wd_request_to_panel, wd_panel_to_report, wd_report_to_response
)
SELECT s.council_code, s.stage_id, s.complaint_id, s.stage, s.team_id, s.outcome,
       s.extension_agreed,
       s.requested_date, rq.financial_year,
       s.response_date, rs.financial_year,
       s.panel_date, pn.financial_year,
       s.panel_report_date, pr.financial_year,
       rs.working_day_index - rq.working_day_index,
       pn.working_day_index - rq.working_day_index,
       pr.working_day_index - pn.working_day_index,
       rs.working_day_index - pr.working_day_index
FROM stg_complaint_stages s
JOIN fact_complaints fc
  ON fc.council_code = s.council_code AND fc.complaint_id = s.complaint_id
JOIN dim_date rq ON rq.date_key = s.requested_date
LEFT JOIN dim_date rs ON rs.date_key = s.response_date
LEFT JOIN dim_date pn ON pn.date_key = s.panel_date
LEFT JOIN dim_date pr ON pr.date_key = s.panel_report_date
WHERE s.council_code = :council_code
  -- The whole council, or (an incremental build) the rows in the temporary build_scope.
  AND (:whole_council = 1
       OR s.complaint_id IN (SELECT key_value FROM build_scope WHERE source_table = 'complaints'))
  AND s.deleted_at IS NULL
  AND s.stage IS NOT NULL
  AND s.team_id IS NOT NULL
  AND (s.response_date IS NULL OR rs.date_key IS NOT NULL)
  AND (s.panel_date IS NULL OR pn.date_key IS NOT NULL)
  AND (s.panel_report_date IS NULL OR pr.date_key IS NOT NULL)
  AND NOT EXISTS (
    SELECT 1 FROM dq_rejects r
    WHERE r.council_code = s.council_code
      AND r.source_table = 'complaint_stages'
      AND r.source_key = CAST(s.stage_id AS VARCHAR(60))
  )
