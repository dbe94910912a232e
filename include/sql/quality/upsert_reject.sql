-- A row a DQ rule rejects: insert it, or refresh the run, message and complaint reference of a
-- known reject while keeping the run that first found it.
INSERT INTO dq_rejects (
  council_code, rule_code, source_table, source_key, run_id, message, first_run_id, reference
)
VALUES (
  :council_code, :rule_code, :source_table, :source_key, :run_id, :message, :run_id, :reference
)
ON CONFLICT (council_code, rule_code, source_table, source_key)
DO UPDATE SET run_id = excluded.run_id, message = excluded.message,
              reference = excluded.reference
