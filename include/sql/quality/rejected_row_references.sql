-- Each rejected row of a council with the reference of the complaint it belongs to (NULL for a
-- row of no complaint: feedback, teams, issue categories, or a complaint id not staged): what
-- the complaints team searches their system by.
-- As in rejected_row_dates.sql, a key's text is turned back into a number only when it is one
-- (a CASE, so nothing else is ever cast), to look rows up by primary key.
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
owner AS (
  SELECT rk.rule_code, rk.source_table, rk.source_key,
         CASE rk.source_table
           WHEN 'complaints' THEN rk.key_number
           WHEN 'complaint_stages' THEN s.complaint_id
           WHEN 'ombudsman_cases' THEN o.complaint_id
           WHEN 'learning_actions' THEN a.complaint_id
         END AS complaint_id
  FROM rk
  LEFT JOIN stg_complaint_stages s
    ON rk.source_table = 'complaint_stages'
    AND s.council_code = :council_code AND s.stage_id = rk.key_number
  LEFT JOIN stg_ombudsman_cases o
    ON rk.source_table = 'ombudsman_cases'
    AND o.council_code = :council_code AND o.ombudsman_case_id = rk.key_number
  LEFT JOIN stg_learning_actions a
    ON rk.source_table = 'learning_actions'
    AND a.council_code = :council_code AND a.action_id = rk.key_number
)
SELECT owner.rule_code, owner.source_table, owner.source_key, c.reference
FROM owner
LEFT JOIN stg_complaints c
  ON c.council_code = :council_code AND c.complaint_id = owner.complaint_id
ORDER BY owner.rule_code, owner.source_table, owner.source_key
