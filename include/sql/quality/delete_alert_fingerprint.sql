-- A unit that passes again: forget it, so a later failure is reported afresh.
DELETE FROM dq_alerts
WHERE council_code = :council_code AND check_name = :check_name AND unit = :unit
