-- Stage N decisions in each financial year (response_date), by the stage row's team and the
-- outcome (summed from stage_counts.sql's counts).
INSERT INTO new_stats_outcomes_by_team (
  council_code, financial_year, stage, service_area, team, outcome, decisions
)
SELECT t.council_code, s.response_fy, s.stage, t.service_area, t.team_name, s.outcome,
       SUM(s.stage_rows)
FROM stage_counts s
JOIN dim_team t ON t.council_code = :council_code AND t.team_id = s.team_id
WHERE s.response_fy IS NOT NULL
  AND s.outcome IS NOT NULL
  AND (:every_year = 1 OR s.response_fy IN (SELECT financial_year FROM stats_years))
GROUP BY t.council_code, s.response_fy, s.stage, t.service_area, t.team_name, s.outcome
