#!/usr/bin/env bash
# Creates the stack's roles and databases on the PostgreSQL server. The postgres image runs every
# script in /docker-entrypoint-initdb.d once, when its data volume is first initialised; it can
# also be run by hand against any server (psql's usual PGHOST/PGPORT/PGUSER apply).
#
#   airflow            Airflow's metadata database, owned by the airflow role
#   complaints_warehouse  the warehouse (staging, facts, stats_*), owned by the warehouse role
#   complaints_source  the DEMO case-management database: owned by a role the init job uses to
#                      seed the reference dataset; the pipeline reads it as a read-only role, as
#                      it would read a council's real system
#
# Names default to the above and can be changed through the *_DB and *_ROLE variables; every
# password must be set (no default password exists anywhere in the stack).
set -euo pipefail

: "${AIRFLOW_DB_PASSWORD:?set AIRFLOW_DB_PASSWORD}"
: "${WAREHOUSE_DB_PASSWORD:?set WAREHOUSE_DB_PASSWORD}"
: "${SOURCE_OWNER_DB_PASSWORD:?set SOURCE_OWNER_DB_PASSWORD}"
: "${SOURCE_READER_DB_PASSWORD:?set SOURCE_READER_DB_PASSWORD}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet \
  --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  -v airflow_db="${AIRFLOW_DB:-airflow}" \
  -v airflow_role="${AIRFLOW_DB_ROLE:-airflow}" \
  -v airflow_password="$AIRFLOW_DB_PASSWORD" \
  -v warehouse_db="${WAREHOUSE_DB:-complaints_warehouse}" \
  -v warehouse_role="${WAREHOUSE_DB_ROLE:-complaints_warehouse}" \
  -v warehouse_password="$WAREHOUSE_DB_PASSWORD" \
  -v source_db="${SOURCE_DB:-complaints_source}" \
  -v source_owner="${SOURCE_OWNER_DB_ROLE:-complaints_source_owner}" \
  -v source_owner_password="$SOURCE_OWNER_DB_PASSWORD" \
  -v source_reader="${SOURCE_READER_DB_ROLE:-complaints_reader}" \
  -v source_reader_password="$SOURCE_READER_DB_PASSWORD" \
  <<'SQL'
CREATE ROLE :"airflow_role" LOGIN PASSWORD :'airflow_password';
CREATE DATABASE :"airflow_db" OWNER :"airflow_role";

CREATE ROLE :"warehouse_role" LOGIN PASSWORD :'warehouse_password';
CREATE DATABASE :"warehouse_db" OWNER :"warehouse_role";

CREATE ROLE :"source_owner" LOGIN PASSWORD :'source_owner_password';
CREATE ROLE :"source_reader" LOGIN PASSWORD :'source_reader_password';
CREATE DATABASE :"source_db" OWNER :"source_owner";
REVOKE ALL ON DATABASE :"source_db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"source_db" TO :"source_owner", :"source_reader";

\connect :"source_db"
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"source_reader";
-- Tables the owner creates later (the seed) are readable, and only readable, by the reader.
ALTER DEFAULT PRIVILEGES FOR ROLE :"source_owner" IN SCHEMA public
  GRANT SELECT ON TABLES TO :"source_reader";
SQL

echo "created databases ${AIRFLOW_DB:-airflow}, ${WAREHOUSE_DB:-complaints_warehouse}," \
  "${SOURCE_DB:-complaints_source}"
