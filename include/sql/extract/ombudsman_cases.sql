-- LGSCO cases changed since the high-water mark, each with its complaint's reference (if any).
SELECT o.ombudsman_case_id, o.complaint_id, o.referred_date, o.decision_date, o.decision,
       o.maladministration,
       (SELECT MIN(c.reference) FROM complaints c WHERE c.complaint_id = o.complaint_id)
         AS complaint_reference,
       o.updated_at, o.deleted_at
FROM ombudsman_cases o
WHERE :since IS NULL OR o.updated_at > :since
ORDER BY o.ombudsman_case_id
