-- How many days of each financial year dim_date already holds (a complete year is not refilled).
SELECT financial_year, COUNT(*) AS days
FROM dim_date
GROUP BY financial_year
