-- Stage N received in the year (requested_date), by the stage row's team and service area.
INSERT INTO stats_received_by_team (
  council_code, financial_year, stage, service_area, team, received
)
SELECT s.council_code, s.requested_fy, s.stage, t.service_area, t.team_name, COUNT(*)
FROM fact_stages s
JOIN dim_team t ON t.council_code = s.council_code AND t.team_id = s.team_id
WHERE s.council_code = :council_code AND s.requested_fy = :financial_year
GROUP BY s.council_code, s.requested_fy, s.stage, t.service_area, t.team_name
