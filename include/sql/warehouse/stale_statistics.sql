-- PostgreSQL: which of the named tables the planner's statistics no longer describe: never
-- analysed, or holding more or fewer rows than their statistics say by more than autovacuum's
-- threshold (50 rows + 10%). The extract analyses what it loads; only the rest is analysed again.
SELECT s.relname
FROM pg_stat_user_tables s
JOIN pg_class c ON c.oid = s.relid
WHERE s.schemaname = current_schema()
  AND s.relname = ANY(:tables)
  AND (c.reltuples < 0
       OR ABS(s.n_live_tup - c.reltuples) > 50 + 0.1 * c.reltuples)
