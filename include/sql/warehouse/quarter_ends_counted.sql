-- How many quarter ends dim_date holds before :as_of: the days fact_open_stages.sql counts open
-- cases at (the same predicate). dim_date is shared by the councils, so another council's build
-- can add a year this council's own dates never reached, and with it quarter ends to count.
SELECT COUNT(*)
FROM dim_date q
WHERE SUBSTR(q.date_key, 6, 5) IN ('06-30', '09-30', '12-31', '03-31')
  AND q.date_key < :as_of
