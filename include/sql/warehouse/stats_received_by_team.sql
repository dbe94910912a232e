-- Stage N received in each financial year (requested_date), by the stage row's team and
-- service area (summed from stage_counts.sql's counts).
INSERT INTO new_stats_received_by_team (
  council_code, financial_year, stage, service_area, team, received
)
SELECT t.council_code, s.requested_fy, s.stage, t.service_area, t.team_name, SUM(s.stage_rows)
FROM stage_counts s
JOIN dim_team t ON t.council_code = :council_code AND t.team_id = s.team_id
WHERE :every_year = 1 OR s.requested_fy IN (SELECT financial_year FROM stats_years)
GROUP BY t.council_code, s.requested_fy, s.stage, t.service_area, t.team_name
