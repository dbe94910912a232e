-- Every distinct business date text staged for one council, so dim_date can cover them.
-- Texts that are not dates come back too; the build keeps only real ISO calendar dates.
SELECT received_date AS date_text FROM stg_complaints
WHERE council_code = :council_code AND received_date IS NOT NULL
UNION
SELECT requested_date FROM stg_complaint_stages
WHERE council_code = :council_code AND requested_date IS NOT NULL
UNION
SELECT response_date FROM stg_complaint_stages
WHERE council_code = :council_code AND response_date IS NOT NULL
UNION
SELECT panel_date FROM stg_complaint_stages
WHERE council_code = :council_code AND panel_date IS NOT NULL
UNION
SELECT panel_report_date FROM stg_complaint_stages
WHERE council_code = :council_code AND panel_report_date IS NOT NULL
UNION
SELECT received_date FROM stg_feedback
WHERE council_code = :council_code AND received_date IS NOT NULL
UNION
SELECT referred_date FROM stg_ombudsman_cases
WHERE council_code = :council_code AND referred_date IS NOT NULL
UNION
SELECT decision_date FROM stg_ombudsman_cases
WHERE council_code = :council_code AND decision_date IS NOT NULL
UNION
SELECT agreed_date FROM stg_learning_actions
WHERE council_code = :council_code AND agreed_date IS NOT NULL
UNION
SELECT completed_date FROM stg_learning_actions
WHERE council_code = :council_code AND completed_date IS NOT NULL
