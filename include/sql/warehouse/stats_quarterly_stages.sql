-- Stage rows received (requested) and decided (responded to) in each quarter of each financial
-- year, one council, every year at once (docs/counting-rules.md): the stage headlines
-- (stageN_received, stageN_decisions) split by quarter, so a year's quarters sum to them (RC13).
-- The stage rows are first counted by year and month of each date (one grouped pass each);
-- a month's quarter: (month + 8) / 3 % 4 + 1 (April to June 1 ... January to March 4).
-- A missing row means zero.
INSERT INTO new_stats_quarterly_stages (
  council_code, financial_year, quarter, stage, received, decided
)
SELECT :council_code, counted.financial_year, counted.quarter, counted.stage,
       SUM(counted.received), SUM(counted.decided)
FROM (
  SELECT by_month.financial_year, (CAST(by_month.month AS INTEGER) + 8) / 3 % 4 + 1 AS quarter,
         by_month.stage, by_month.received, by_month.decided
  FROM (
    SELECT requested_fy AS financial_year, SUBSTR(requested_date, 6, 2) AS month, stage,
           COUNT(*) AS received, 0 AS decided
    FROM fact_stages
    WHERE council_code = :council_code AND stage IN (1, 2, 3)
      AND (:every_year = 1 OR requested_fy IN (SELECT financial_year FROM stats_years))
    GROUP BY requested_fy, SUBSTR(requested_date, 6, 2), stage
    UNION ALL
    SELECT response_fy, SUBSTR(response_date, 6, 2), stage, 0, COUNT(*)
    FROM fact_stages
    WHERE council_code = :council_code AND stage IN (1, 2, 3) AND response_date IS NOT NULL
      AND (:every_year = 1 OR response_fy IN (SELECT financial_year FROM stats_years))
    GROUP BY response_fy, SUBSTR(response_date, 6, 2), stage
  ) by_month
) counted
GROUP BY counted.financial_year, counted.quarter, counted.stage
