-- The organisational learning actions agreed in a financial year, with their team, for the
-- report's "Organisational Learning" section. fact_learning_actions holds only the actions that
-- count (not deleted, not rejected, their complaint counted: docs/counting-rules.md).
SELECT
  t.service_area AS service_area,
  t.team_name AS team,
  a.agreed_date AS agreed_date,
  a.action_id AS action_id,
  a.action_text AS action_text
FROM fact_learning_actions AS a
JOIN dim_team AS t
  ON t.council_code = a.council_code AND t.team_id = a.team_id
WHERE a.council_code = :council_code
  AND a.agreed_fy = :financial_year
ORDER BY t.service_area, t.team_name, a.agreed_date, a.action_id
