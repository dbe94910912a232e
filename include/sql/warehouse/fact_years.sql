-- Every financial year in which some counted date of the council falls: the years to build.
SELECT received_fy AS financial_year FROM fact_complaints WHERE council_code = :council_code
UNION
SELECT requested_fy FROM fact_stages WHERE council_code = :council_code
UNION
SELECT response_fy FROM fact_stages
WHERE council_code = :council_code AND response_fy IS NOT NULL
UNION
SELECT panel_fy FROM fact_stages WHERE council_code = :council_code AND panel_fy IS NOT NULL
UNION
SELECT panel_report_fy FROM fact_stages
WHERE council_code = :council_code AND panel_report_fy IS NOT NULL
UNION
SELECT received_fy FROM fact_feedback WHERE council_code = :council_code
UNION
SELECT referred_fy FROM fact_ombudsman_cases WHERE council_code = :council_code
UNION
SELECT decision_fy FROM fact_ombudsman_cases
WHERE council_code = :council_code AND decision_fy IS NOT NULL
UNION
SELECT agreed_fy FROM fact_learning_actions WHERE council_code = :council_code
