-- Every team of the council and its service area (dim_team): the open data lists each one, a
-- zero included.
SELECT DISTINCT service_area, team_name AS team
FROM dim_team
WHERE council_code = :council_code
ORDER BY service_area, team_name
