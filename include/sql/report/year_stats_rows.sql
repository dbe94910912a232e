-- How many stats rows a council has for a financial year, over all six stats tables. Zero means
-- the warehouse holds no figures for that year: the report then makes no comparison with it.
SELECT
  (SELECT COUNT(*) FROM stats_headlines
    WHERE council_code = :council_code AND financial_year = :financial_year)
  + (SELECT COUNT(*) FROM stats_received_by_team
    WHERE council_code = :council_code AND financial_year = :financial_year)
  + (SELECT COUNT(*) FROM stats_outcomes_by_team
    WHERE council_code = :council_code AND financial_year = :financial_year)
  + (SELECT COUNT(*) FROM stats_issues
    WHERE council_code = :council_code AND financial_year = :financial_year)
  + (SELECT COUNT(*) FROM stats_feedback_by_team
    WHERE council_code = :council_code AND financial_year = :financial_year)
  + (SELECT COUNT(*) FROM stats_timeliness
    WHERE council_code = :council_code AND financial_year = :financial_year)
  AS stats_rows
