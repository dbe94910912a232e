-- Reference table, copied whole on every run.
-- A council with another case-management system adapts the FROM and the column expressions;
-- the column names (and the ORDER BY on the key) are the contract with the staging table.
SELECT team_id, team_name, service_area
FROM teams
ORDER BY team_id
