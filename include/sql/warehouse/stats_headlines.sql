-- The headline counts of one council's financial year (DATA.md section 2), every measure a row,
-- zeros included so a reader sees "0" rather than a missing figure.
-- Each fact table is read once for the year (by its indexed year columns) and its measures
-- counted together; the rows are then spelled out one per measure.
WITH c AS (
  SELECT SUM(CASE WHEN qualifying THEN 1 ELSE 0 END) AS qualifying,
         SUM(CASE WHEN qualifying THEN 0 ELSE 1 END) AS non_qualifying
  FROM fact_complaints
  WHERE council_code = :council_code AND received_fy = :financial_year
),
f AS (
  SELECT SUM(CASE WHEN kind = 'compliment' THEN 1 ELSE 0 END) AS compliments,
         SUM(CASE WHEN kind = 'comment' THEN 1 ELSE 0 END) AS comments
  FROM fact_feedback
  WHERE council_code = :council_code AND received_fy = :financial_year
),
s AS (
  SELECT
    SUM(CASE WHEN stage = 1 AND requested_fy = :financial_year THEN 1 ELSE 0 END) AS received1,
    SUM(CASE WHEN stage = 2 AND requested_fy = :financial_year THEN 1 ELSE 0 END) AS received2,
    SUM(CASE WHEN stage = 3 AND requested_fy = :financial_year THEN 1 ELSE 0 END) AS received3,
    SUM(CASE WHEN stage = 1 AND response_fy = :financial_year THEN 1 ELSE 0 END) AS decided1,
    SUM(CASE WHEN stage = 2 AND response_fy = :financial_year THEN 1 ELSE 0 END) AS decided2,
    SUM(CASE WHEN stage = 3 AND response_fy = :financial_year THEN 1 ELSE 0 END) AS decided3
  FROM fact_stages
  WHERE council_code = :council_code
    AND (requested_fy = :financial_year OR response_fy = :financial_year)
),
o AS (
  SELECT SUM(CASE WHEN referred_fy = :financial_year THEN 1 ELSE 0 END) AS referred,
         SUM(CASE WHEN decision_fy = :financial_year THEN 1 ELSE 0 END) AS determined,
         SUM(CASE WHEN decision_fy = :financial_year AND maladministration THEN 1 ELSE 0 END)
           AS maladministration
  FROM fact_ombudsman_cases
  WHERE council_code = :council_code
    AND (referred_fy = :financial_year OR decision_fy = :financial_year)
),
l AS (
  SELECT COUNT(*) AS agreed
  FROM fact_learning_actions
  WHERE council_code = :council_code AND agreed_fy = :financial_year
)
INSERT INTO stats_headlines (council_code, financial_year, measure, value)
SELECT :council_code, :financial_year, m.measure, COALESCE(m.value, 0)
FROM (
  SELECT 'complaints_received' AS measure, qualifying AS value FROM c
  UNION ALL SELECT 'non_qualifying_received', non_qualifying FROM c
  UNION ALL SELECT 'compliments_received', compliments FROM f
  UNION ALL SELECT 'comments_received', comments FROM f
  UNION ALL SELECT 'stage1_received', received1 FROM s
  UNION ALL SELECT 'stage2_received', received2 FROM s
  UNION ALL SELECT 'stage3_received', received3 FROM s
  UNION ALL SELECT 'stage1_decisions', decided1 FROM s
  UNION ALL SELECT 'stage2_decisions', decided2 FROM s
  UNION ALL SELECT 'stage3_decisions', decided3 FROM s
  UNION ALL SELECT 'ombudsman_referred', referred FROM o
  UNION ALL SELECT 'ombudsman_determined', determined FROM o
  UNION ALL SELECT 'ombudsman_maladministration', maladministration FROM o
  UNION ALL SELECT 'learning_actions_agreed', agreed FROM l
) m
