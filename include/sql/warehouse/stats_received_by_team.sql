-- Stage N received in each financial year (requested_date), by the stage row's team and
-- service area.
INSERT INTO new_stats_received_by_team (
  council_code, financial_year, stage, service_area, team, received
)
SELECT s.council_code, s.requested_fy, s.stage, t.service_area, t.team_name, COUNT(*)
FROM fact_stages s
JOIN dim_team t ON t.council_code = s.council_code AND t.team_id = s.team_id
WHERE s.council_code = :council_code
GROUP BY s.council_code, s.requested_fy, s.stage, t.service_area, t.team_name
