-- Every stage row open at the end of a quarter (docs/counting-rules.md, "Open cases"): for each
-- quarter's last day Q in dim_date before as_of (the day the council's latest extract finished,
-- so the quarter is over and its data seen), the counted stage rows requested on or before Q
-- and not responded to by Q. working_days_open: working days from the request to Q.
-- past_target: a timescale of the row's stage (dim_measure: the measures registry, not an
-- extended timescale) whose clock had started by Q and not stopped by Q has run longer than its
-- target (the settings', in the temporary measure_targets): Stage 1 and 2 from the request,
-- Stage 3 from whichever of the request, the panel and the panel's report it is waiting on.
-- A quarter's number: (month + 8) / 3 % 4 + 1 (April to June 1 ... January to March 4).
-- The whole council (a full build, or a new quarter counted), or (an incremental build) the
-- stage rows of the complaints in the temporary build_scope: a row's open quarters follow from
-- its fact_stages row alone, so only those in scope can differ from the last build's.
INSERT INTO fact_open_stages (
  council_code, as_at, financial_year, quarter, stage_id, complaint_id, stage, team_id,
  working_days_open, past_target
)
SELECT s.council_code, q.date_key, q.financial_year,
       (CAST(SUBSTR(q.date_key, 6, 2) AS INTEGER) + 8) / 3 % 4 + 1,
       s.stage_id, s.complaint_id, s.stage, s.team_id,
       q.working_day_index - rq.working_day_index,
       CASE WHEN EXISTS (
         SELECT 1
         FROM dim_measure m
         JOIN measure_targets t ON t.measure = m.measure
         WHERE m.stats_table = 'stats_timeliness'
           AND m.stage = s.stage
           AND m.extends_measure IS NULL
           AND q.working_day_index - CASE m.start_date
                 WHEN 'requested_date' THEN rq.working_day_index
                 WHEN 'panel_date' THEN pn.working_day_index
                 WHEN 'panel_report_date' THEN pr.working_day_index
               END > t.target_wd
           AND COALESCE(CASE m.end_date
                 WHEN 'response_date' THEN s.response_date
                 WHEN 'panel_date' THEN s.panel_date
                 WHEN 'panel_report_date' THEN s.panel_report_date
               END, '9999-12-31') > q.date_key
       ) THEN TRUE ELSE FALSE END
FROM fact_stages s
JOIN dim_date rq ON rq.date_key = s.requested_date
JOIN dim_date q
  ON q.date_key >= s.requested_date
  AND (s.response_date IS NULL OR q.date_key < s.response_date)
  AND SUBSTR(q.date_key, 6, 5) IN ('06-30', '09-30', '12-31', '03-31')
  AND q.date_key < :as_of
LEFT JOIN dim_date pn ON pn.date_key = s.panel_date
LEFT JOIN dim_date pr ON pr.date_key = s.panel_report_date
WHERE s.council_code = :council_code
  AND (:whole_council = 1
       OR s.complaint_id IN (SELECT key_value FROM build_scope WHERE source_table = 'complaints'))
  AND s.stage IN (1, 2, 3)
  -- Only a row still open at the end of its request's quarter can be open at any quarter's
  -- end: most are answered within it, and are left out before the join (which compares each
  -- row with every quarter's end).
  AND (
    s.response_date IS NULL
    OR s.response_date > SUBSTR(s.requested_date, 1, 5) || CASE
         WHEN SUBSTR(s.requested_date, 6, 2) <= '03' THEN '03-31'
         WHEN SUBSTR(s.requested_date, 6, 2) <= '06' THEN '06-30'
         WHEN SUBSTR(s.requested_date, 6, 2) <= '09' THEN '09-30'
         ELSE '12-31'
       END
  )
