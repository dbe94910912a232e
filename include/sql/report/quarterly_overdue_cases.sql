-- The quarterly monitoring pack's annex: the stage rows open at the end of one quarter and past
-- their target date (fact_open_stages), by complaint reference (from staging: the facts carry
-- no reference), stage, team and working days open, longest open first. For the complaints
-- team only; never published.
SELECT c.reference, o.stage, t.service_area, t.team_name AS team, o.working_days_open
FROM fact_open_stages o
JOIN stg_complaints c ON c.council_code = o.council_code AND c.complaint_id = o.complaint_id
JOIN dim_team t ON t.council_code = o.council_code AND t.team_id = o.team_id
WHERE o.council_code = :council_code
  AND o.financial_year = :financial_year
  AND o.quarter = :quarter
  AND o.past_target
ORDER BY o.working_days_open DESC, c.reference, o.stage
