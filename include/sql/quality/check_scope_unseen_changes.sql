-- Changes the council's build used up (deleted from etl_changed_rows) that no row check saw: an
-- extract that started after the last check and before the build that followed it. Any such
-- run makes the check a full one.
SELECT COUNT(*) FROM etl_extract_runs x
JOIN etl_build_state b ON b.council_code = x.council_code
WHERE x.council_code = :council_code
  AND x.started_at > :checked_at AND x.started_at < b.built_at AND b.built_at > :checked_at
