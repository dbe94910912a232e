-- The headline counts of one council's financial year (DATA.md section 2), every measure a row,
-- zeros included so a reader sees "0" rather than a missing figure.
INSERT INTO stats_headlines (council_code, financial_year, measure, value)
SELECT :council_code, :financial_year, m.measure, m.value
FROM (
  SELECT 'complaints_received' AS measure, COUNT(*) AS value
  FROM fact_complaints
  WHERE council_code = :council_code AND received_fy = :financial_year AND qualifying
  UNION ALL
  SELECT 'non_qualifying_received', COUNT(*)
  FROM fact_complaints
  WHERE council_code = :council_code AND received_fy = :financial_year AND NOT qualifying
  UNION ALL
  SELECT 'compliments_received', COUNT(*)
  FROM fact_feedback
  WHERE council_code = :council_code AND received_fy = :financial_year AND kind = 'compliment'
  UNION ALL
  SELECT 'comments_received', COUNT(*)
  FROM fact_feedback
  WHERE council_code = :council_code AND received_fy = :financial_year AND kind = 'comment'
  UNION ALL
  SELECT 'stage1_received', COUNT(*)
  FROM fact_stages
  WHERE council_code = :council_code AND requested_fy = :financial_year AND stage = 1
  UNION ALL
  SELECT 'stage2_received', COUNT(*)
  FROM fact_stages
  WHERE council_code = :council_code AND requested_fy = :financial_year AND stage = 2
  UNION ALL
  SELECT 'stage3_received', COUNT(*)
  FROM fact_stages
  WHERE council_code = :council_code AND requested_fy = :financial_year AND stage = 3
  UNION ALL
  SELECT 'stage1_decisions', COUNT(*)
  FROM fact_stages
  WHERE council_code = :council_code AND response_fy = :financial_year AND stage = 1
  UNION ALL
  SELECT 'stage2_decisions', COUNT(*)
  FROM fact_stages
  WHERE council_code = :council_code AND response_fy = :financial_year AND stage = 2
  UNION ALL
  SELECT 'stage3_decisions', COUNT(*)
  FROM fact_stages
  WHERE council_code = :council_code AND response_fy = :financial_year AND stage = 3
  UNION ALL
  SELECT 'ombudsman_referred', COUNT(*)
  FROM fact_ombudsman_cases
  WHERE council_code = :council_code AND referred_fy = :financial_year
  UNION ALL
  SELECT 'ombudsman_determined', COUNT(*)
  FROM fact_ombudsman_cases
  WHERE council_code = :council_code AND decision_fy = :financial_year
  UNION ALL
  SELECT 'ombudsman_maladministration', COUNT(*)
  FROM fact_ombudsman_cases
  WHERE council_code = :council_code AND decision_fy = :financial_year AND maladministration
  UNION ALL
  SELECT 'learning_actions_agreed', COUNT(*)
  FROM fact_learning_actions
  WHERE council_code = :council_code AND agreed_fy = :financial_year
) m
