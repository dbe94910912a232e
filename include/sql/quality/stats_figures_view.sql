-- Every published figure of the six stats tables as one (stats_table, figure, value) row, so a
-- year's figures can be stored when its report is published and compared later (RC07).
CREATE VIEW stats_figures AS
SELECT council_code, financial_year, 'stats_headlines' AS stats_table, measure AS figure,
       value
FROM stats_headlines
UNION ALL
SELECT council_code, financial_year, 'stats_received_by_team',
       'stage=' || CAST(stage AS VARCHAR(2)) || ';team=' || team, received
FROM stats_received_by_team
UNION ALL
SELECT council_code, financial_year, 'stats_outcomes_by_team',
       'stage=' || CAST(stage AS VARCHAR(2)) || ';team=' || team || ';outcome=' || outcome,
       decisions
FROM stats_outcomes_by_team
UNION ALL
SELECT council_code, financial_year, 'stats_issues', 'issue=' || issue, complaints
FROM stats_issues
UNION ALL
SELECT council_code, financial_year, 'stats_feedback_by_team',
       'kind=' || kind || ';team=' || team, received
FROM stats_feedback_by_team
UNION ALL
SELECT council_code, financial_year, 'stats_timeliness', measure || ';responses', responses
FROM stats_timeliness
UNION ALL
SELECT council_code, financial_year, 'stats_timeliness', measure || ';within_target',
       within_target
FROM stats_timeliness
