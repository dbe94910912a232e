-- Every issue category of the council and its label (dim_issue_category): the open data lists
-- each one, a zero included.
SELECT code AS issue, label
FROM dim_issue_category
WHERE council_code = :council_code
ORDER BY code
