-- The years of a council owed a reconciliation:
-- * built, and never reconciled or last reconciled for other stats (another fingerprint): a
--   build or reconciliation that was killed, or failed, between the two;
-- * reconciled for stats the year no longer holds (emptied by a build: no build row);
-- * reconciled, but the alert step never dealt with the result (killed before alerting).
-- (A year whose rejected rows changed is owed too: csc_complaints.quality.reconciliation adds
-- those, as which rows touch a year is worked out from their dates in Python.)
SELECT b.financial_year
FROM etl_year_builds b
LEFT JOIN dq_reconciliations r
  ON r.council_code = b.council_code AND r.financial_year = b.financial_year
WHERE b.council_code = :council_code
  AND (r.financial_year IS NULL OR r.stats_fingerprint IS NULL
       OR r.stats_fingerprint <> b.fingerprint OR r.reported_at IS NULL)
UNION
SELECT r.financial_year
FROM dq_reconciliations r
LEFT JOIN etl_year_builds b
  ON b.council_code = r.council_code AND b.financial_year = r.financial_year
WHERE r.council_code = :council_code
  AND ((b.financial_year IS NULL AND r.stats_fingerprint IS NOT NULL) OR r.reported_at IS NULL)
