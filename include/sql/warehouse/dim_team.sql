-- Teams and their service areas, from staging, less rejected rows.
INSERT INTO dim_team (council_code, team_id, team_name, service_area)
SELECT t.council_code, t.team_id, t.team_name, t.service_area
FROM stg_teams t
WHERE t.council_code = :council_code
  AND t.team_name IS NOT NULL
  AND t.service_area IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM dq_rejects r
    WHERE r.council_code = t.council_code
      AND r.source_table = 'teams'
      AND r.source_key = CAST(t.team_id AS VARCHAR(60))
  )
