-- Each rejected row with the dates it touches, to tell which financial years it keeps in DRAFT.
-- A rejected complaint, or a complaint with a rejected stage, is held back from the facts as a
-- whole (its stages, learning actions and Ombudsman cases too), so it touches every year any of
-- those rows has a date in. A reject may come back on several rows here (one per related
-- row); a reject none of whose dates can be read counts in every year.
-- A reject names its row by the text of its key. Comparing that text with each staged row's
-- key cast to text would read every staged row; instead the text is turned back into a number
-- (only when it is one: a CASE, so nothing else is ever cast) to look the row up by its primary
-- key, and the text comparison is kept, so exactly the same rows match.
WITH rk AS (
  SELECT q.rule_code, q.source_table, q.source_key,
         CASE
           WHEN LENGTH(q.source_key) BETWEEN 1 AND 18
            AND LTRIM(q.source_key, '-0123456789') = ''
            AND LTRIM(SUBSTR(q.source_key, 2), '0123456789') = ''
            AND q.source_key <> '-'
           THEN CAST(q.source_key AS BIGINT)
         END AS key_number
  FROM dq_rejects q
  WHERE q.council_code = :council_code
),
held_back AS (
  -- (reject, complaint) for rejects that hold a whole complaint back
  SELECT rk.rule_code, rk.source_table, rk.source_key, c.complaint_id
  FROM rk
  JOIN stg_complaints c
    ON c.council_code = :council_code AND c.complaint_id = rk.key_number
    AND CAST(c.complaint_id AS VARCHAR(60)) = rk.source_key
  WHERE rk.source_table = 'complaints'
  UNION ALL
  SELECT rk.rule_code, rk.source_table, rk.source_key, s.complaint_id
  FROM rk
  JOIN stg_complaint_stages s
    ON s.council_code = :council_code AND s.stage_id = rk.key_number
    AND CAST(s.stage_id AS VARCHAR(60)) = rk.source_key
  WHERE rk.source_table = 'complaint_stages'
)
SELECT h.rule_code, h.source_table, h.source_key, c.received_date AS d1, NULL AS d2,
       NULL AS d3, NULL AS d4
FROM held_back h
LEFT JOIN stg_complaints c
  ON c.council_code = :council_code AND c.complaint_id = h.complaint_id
UNION ALL
SELECT h.rule_code, h.source_table, h.source_key, s.requested_date, s.response_date,
       s.panel_date, s.panel_report_date
FROM held_back h
JOIN stg_complaint_stages s
  ON s.council_code = :council_code AND s.complaint_id = h.complaint_id
UNION ALL
SELECT h.rule_code, h.source_table, h.source_key, a.agreed_date, NULL, NULL, NULL
FROM held_back h
JOIN stg_learning_actions a
  ON a.council_code = :council_code AND a.complaint_id = h.complaint_id
UNION ALL
SELECT h.rule_code, h.source_table, h.source_key, o.referred_date, o.decision_date, NULL, NULL
FROM held_back h
JOIN stg_ombudsman_cases o
  ON o.council_code = :council_code AND o.complaint_id = h.complaint_id
UNION ALL
SELECT rk.rule_code, rk.source_table, rk.source_key, f.received_date, NULL, NULL, NULL
FROM rk
JOIN stg_feedback f
  ON f.council_code = :council_code AND f.feedback_id = rk.key_number
  AND CAST(f.feedback_id AS VARCHAR(60)) = rk.source_key
WHERE rk.source_table = 'feedback'
UNION ALL
SELECT rk.rule_code, rk.source_table, rk.source_key, o.referred_date, o.decision_date, NULL, NULL
FROM rk
JOIN stg_ombudsman_cases o
  ON o.council_code = :council_code AND o.ombudsman_case_id = rk.key_number
  AND CAST(o.ombudsman_case_id AS VARCHAR(60)) = rk.source_key
WHERE rk.source_table = 'ombudsman_cases'
UNION ALL
SELECT rk.rule_code, rk.source_table, rk.source_key, a.agreed_date, a.completed_date, NULL, NULL
FROM rk
JOIN stg_learning_actions a
  ON a.council_code = :council_code AND a.action_id = rk.key_number
  AND CAST(a.action_id AS VARCHAR(60)) = rk.source_key
WHERE rk.source_table = 'learning_actions'
UNION ALL
SELECT rk.rule_code, rk.source_table, rk.source_key, NULL, NULL, NULL, NULL
FROM rk
WHERE rk.source_table IN ('teams', 'issue_categories')
