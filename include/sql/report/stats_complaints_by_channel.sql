-- One financial year of stats_complaints_by_channel, every column, in a stable order.
SELECT council_code, financial_year, channel, complaints
FROM stats_complaints_by_channel
WHERE council_code = :council_code AND financial_year = :financial_year
ORDER BY channel
