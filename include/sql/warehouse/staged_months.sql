-- The calendar months ('YYYY-MM') in which the council's staged business dates fall, so that
-- dim_date can cover their financial years. One pass per staging table: the distinct
-- combinations of its date columns' months are few (a few thousand), however many rows there
-- are. Texts that are not dates come back too; the build keeps only real year-months.
SELECT DISTINCT SUBSTR(received_date, 1, 7) AS month_1, NULL AS month_2, NULL AS month_3,
       NULL AS month_4
FROM stg_complaints WHERE council_code = :council_code
UNION ALL
SELECT DISTINCT SUBSTR(requested_date, 1, 7), SUBSTR(response_date, 1, 7),
       SUBSTR(panel_date, 1, 7), SUBSTR(panel_report_date, 1, 7)
FROM stg_complaint_stages WHERE council_code = :council_code
UNION ALL
SELECT DISTINCT SUBSTR(received_date, 1, 7), NULL, NULL, NULL
FROM stg_feedback WHERE council_code = :council_code
UNION ALL
SELECT DISTINCT SUBSTR(referred_date, 1, 7), SUBSTR(decision_date, 1, 7), NULL, NULL
FROM stg_ombudsman_cases WHERE council_code = :council_code
UNION ALL
SELECT DISTINCT SUBSTR(agreed_date, 1, 7), SUBSTR(completed_date, 1, 7), NULL, NULL
FROM stg_learning_actions WHERE council_code = :council_code
