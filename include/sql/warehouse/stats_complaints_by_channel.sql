-- Qualifying complaints received in each financial year, by the channel they came in by; none
-- recorded counts as 'not recorded' (csc_complaints.warehouse.schema.NOT_RECORDED).
INSERT INTO new_stats_complaints_by_channel (council_code, financial_year, channel, complaints)
SELECT c.council_code, c.received_fy, COALESCE(NULLIF(c.channel, ''), 'not recorded'), COUNT(*)
FROM fact_complaints c
WHERE c.council_code = :council_code AND c.qualifying
  AND (:every_year = 1 OR c.received_fy IN (SELECT financial_year FROM stats_years))
GROUP BY c.council_code, c.received_fy, COALESCE(NULLIF(c.channel, ''), 'not recorded')
