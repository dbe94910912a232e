-- Remember that this failure was reported, so an unchanged failure is not sent again.
INSERT INTO dq_alerts (council_code, check_name, unit, fingerprint, dag_id, run_id, sent_at)
VALUES (:council_code, :check_name, :unit, :fingerprint, :dag_id, :run_id, :sent_at)
ON CONFLICT (council_code, check_name, unit)
DO UPDATE SET fingerprint = excluded.fingerprint, dag_id = excluded.dag_id,
  run_id = excluded.run_id, sent_at = excluded.sent_at
