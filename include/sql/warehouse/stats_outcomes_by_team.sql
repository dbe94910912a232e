-- Stage N decisions in each financial year (response_date), by the stage row's team and the
-- outcome.
INSERT INTO new_stats_outcomes_by_team (
  council_code, financial_year, stage, service_area, team, outcome, decisions
)
SELECT s.council_code, s.response_fy, s.stage, t.service_area, t.team_name, s.outcome, COUNT(*)
FROM fact_stages s
JOIN dim_team t ON t.council_code = s.council_code AND t.team_id = s.team_id
WHERE s.council_code = :council_code
  AND s.response_fy IS NOT NULL
  AND s.outcome IS NOT NULL
GROUP BY s.council_code, s.response_fy, s.stage, t.service_area, t.team_name, s.outcome
