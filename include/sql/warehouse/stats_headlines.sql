-- The headline counts of one council, every financial year at once (docs/counting-rules.md):
-- one grouped pass per fact table (the stage rows' counts come from stage_counts.sql), a row
-- per year and measure that has something to count. Each headline of the measures registry
-- (csc_complaints.measures) is counted here; stats_headlines_zeros.sql then adds the measures a
-- year has nothing for as zeros, so a reader sees "0" rather than a missing figure.
-- Every year, or (an incremental build) the years in the temporary stats_years only: each
-- branch keeps the rows of those years by the year it counts by, before grouping them.
INSERT INTO new_stats_headlines (council_code, financial_year, measure, value)
SELECT :council_code, counted.financial_year, counted.measure, counted.value
FROM (
  SELECT received_fy AS financial_year,
         CASE WHEN qualifying THEN 'complaints_received' ELSE 'non_qualifying_received' END
           AS measure,
         COUNT(*) AS value
  FROM fact_complaints
  WHERE council_code = :council_code
    AND (:every_year = 1 OR received_fy IN (SELECT financial_year FROM stats_years))
  GROUP BY received_fy, qualifying
  UNION ALL
  SELECT received_fy,
         CASE WHEN kind = 'compliment' THEN 'compliments_received' ELSE 'comments_received' END,
         COUNT(*)
  FROM fact_feedback
  WHERE council_code = :council_code AND kind IN ('compliment', 'comment')
    AND (:every_year = 1 OR received_fy IN (SELECT financial_year FROM stats_years))
  GROUP BY received_fy, kind
  UNION ALL
  SELECT requested_fy, 'stage' || CAST(stage AS VARCHAR(1)) || '_received', SUM(stage_rows)
  FROM stage_counts
  WHERE :every_year = 1 OR requested_fy IN (SELECT financial_year FROM stats_years)
  GROUP BY requested_fy, stage
  UNION ALL
  SELECT response_fy, 'stage' || CAST(stage AS VARCHAR(1)) || '_decisions', SUM(stage_rows)
  FROM stage_counts
  WHERE response_fy IS NOT NULL
    AND (:every_year = 1 OR response_fy IN (SELECT financial_year FROM stats_years))
  GROUP BY response_fy, stage
  UNION ALL
  SELECT referred_fy, 'ombudsman_referred', COUNT(*)
  FROM fact_ombudsman_cases
  WHERE council_code = :council_code
    AND (:every_year = 1 OR referred_fy IN (SELECT financial_year FROM stats_years))
  GROUP BY referred_fy
  UNION ALL
  SELECT decision_fy, 'ombudsman_determined', COUNT(*)
  FROM fact_ombudsman_cases
  WHERE council_code = :council_code AND decision_fy IS NOT NULL
    AND (:every_year = 1 OR decision_fy IN (SELECT financial_year FROM stats_years))
  GROUP BY decision_fy
  UNION ALL
  SELECT decision_fy, 'ombudsman_maladministration', COUNT(*)
  FROM fact_ombudsman_cases
  WHERE council_code = :council_code AND decision_fy IS NOT NULL AND maladministration
    AND (:every_year = 1 OR decision_fy IN (SELECT financial_year FROM stats_years))
  GROUP BY decision_fy
  UNION ALL
  SELECT agreed_fy, 'learning_actions_agreed', COUNT(*)
  FROM fact_learning_actions
  WHERE council_code = :council_code
    AND (:every_year = 1 OR agreed_fy IN (SELECT financial_year FROM stats_years))
  GROUP BY agreed_fy
) counted
