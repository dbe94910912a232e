-- Learning actions agreed in each financial year (agreed_date), by team, and how many of them
-- are completed (status 'completed') as the facts stand at this build.
INSERT INTO new_stats_learning_actions (
  council_code, financial_year, service_area, team, agreed, completed
)
SELECT a.council_code, a.agreed_fy, t.service_area, t.team_name, COUNT(*),
       SUM(CASE WHEN a.status = 'completed' THEN 1 ELSE 0 END)
FROM fact_learning_actions a
JOIN dim_team t ON t.council_code = a.council_code AND t.team_id = a.team_id
WHERE a.council_code = :council_code
  AND (:every_year = 1 OR a.agreed_fy IN (SELECT financial_year FROM stats_years))
GROUP BY a.council_code, a.agreed_fy, t.service_area, t.team_name
