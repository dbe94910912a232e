-- The logged changes the build has used (in its facts transaction): the ones logged since stay.
DELETE FROM etl_changed_rows
WHERE council_code = :council_code
  AND change_id IN (SELECT change_id FROM build_changes)
