-- What the alerts have already reported for a council and check (one row per failing unit).
SELECT unit, fingerprint FROM dq_alerts
WHERE council_code = :council_code AND check_name = :check_name
