-- Response times, every financial year at once: for each stage, the rows with a response_date
-- in the year (responses), and the mean and median working days from requested_date to
-- response_date (fact_stages.wd_request_to_response), each to one decimal place with a half
-- rounded up; the median of an even count is the mean of the middle two.
-- The rows are first counted by their working days (durations recur: a small table), then a
-- running total finds the middle one or two. Both figures are worked out in whole tenths with
-- integer arithmetic (no floating-point rounding, the same on SQLite and PostgreSQL):
-- mean tenths = round half up (10 * total / n) = (20 * total + n) / (2 * n), integer division
-- of non-negative numbers; median tenths = 5 * (lower middle + upper middle), exact. The sums
-- are cast back to whole numbers: PostgreSQL's SUM of a BIGINT is a NUMERIC, whose division
-- would not drop the remainder.
INSERT INTO new_stats_response_days (
  council_code, financial_year, stage, responses, mean_working_days, median_working_days
)
SELECT :council_code, r.response_fy, r.stage, r.n,
       ((20 * r.total + r.n) / (2 * r.n)) / 10.0,
       (5 * SUM(
          CASE WHEN (r.n + 1) / 2 BETWEEN r.up_to - r.stage_rows + 1 AND r.up_to
               THEN r.working_days ELSE 0 END
          + CASE WHEN (r.n + 2) / 2 BETWEEN r.up_to - r.stage_rows + 1 AND r.up_to
                 THEN r.working_days ELSE 0 END
        )) / 10.0
FROM (
  SELECT d.response_fy, d.stage, d.working_days, d.stage_rows,
         CAST(SUM(d.stage_rows) OVER (
           PARTITION BY d.response_fy, d.stage ORDER BY d.working_days
         ) AS BIGINT) AS up_to,
         CAST(SUM(d.stage_rows) OVER (PARTITION BY d.response_fy, d.stage) AS BIGINT) AS n,
         CAST(SUM(d.working_days * d.stage_rows) OVER (
           PARTITION BY d.response_fy, d.stage
         ) AS BIGINT) AS total
  FROM (
    SELECT response_fy, stage, wd_request_to_response AS working_days, COUNT(*) AS stage_rows
    FROM fact_stages
    WHERE council_code = :council_code
      AND response_fy IS NOT NULL
      AND wd_request_to_response IS NOT NULL
      AND stage IN (1, 2, 3)
      AND (:every_year = 1 OR response_fy IN (SELECT financial_year FROM stats_years))
    GROUP BY response_fy, stage, wd_request_to_response
  ) d
) r
GROUP BY r.response_fy, r.stage, r.n, r.total
