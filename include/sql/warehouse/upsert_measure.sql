-- One measure of the registry (csc_complaints.measures) into dim_measure: inserted, or its row
-- made equal to the registry's. Both dialects have ON CONFLICT, so two tasks creating the schema
-- at once both succeed.
INSERT INTO dim_measure (
  measure, stats_table, stage, start_date, end_date, target_setting, decisions_measure,
  extends_measure
)
VALUES (
  :measure, :stats_table, :stage, :start_date, :end_date, :target_setting, :decisions_measure,
  :extends_measure
)
ON CONFLICT (measure) DO UPDATE SET
  stats_table = excluded.stats_table,
  stage = excluded.stage,
  start_date = excluded.start_date,
  end_date = excluded.end_date,
  target_setting = excluded.target_setting,
  decisions_measure = excluded.decisions_measure,
  extends_measure = excluded.extends_measure
