-- A measure no longer in the registry (csc_complaints.measures) leaves dim_measure. Its stats
-- rows already built stay until their year is next rebuilt (the stats hold what was counted).
DELETE FROM dim_measure WHERE measure = :measure
