-- Compliments and comments received in each financial year, by kind and team.
INSERT INTO new_stats_feedback_by_team (
  council_code, financial_year, kind, service_area, team, received
)
SELECT f.council_code, f.received_fy, f.kind, t.service_area, t.team_name, COUNT(*)
FROM fact_feedback f
JOIN dim_team t ON t.council_code = f.council_code AND t.team_id = f.team_id
WHERE f.council_code = :council_code
  AND (:every_year = 1 OR f.received_fy IN (SELECT financial_year FROM stats_years))
GROUP BY f.council_code, f.received_fy, f.kind, t.service_area, t.team_name
