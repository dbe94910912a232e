-- Reference table, copied whole on every run.
SELECT code, label
FROM issue_categories
ORDER BY code
