-- LGSCO cases changed since the high-water mark.
SELECT ombudsman_case_id, complaint_id, referred_date, decision_date, decision, maladministration,
       updated_at, deleted_at
FROM ombudsman_cases
WHERE :since IS NULL OR updated_at > :since
ORDER BY ombudsman_case_id
