#!/usr/bin/env bash
# The stack's init job (docker compose service airflow-init): runs to completion before the
# Airflow components start, and again on every `docker compose up` (each step is idempotent).
#  1. writes the API users' passwords (from .env) where the SimpleAuthManager reads them;
#  2. migrates Airflow's metadata database;
#  3. seeds the demo case-management database with the reference dataset, if it is empty.
set -euo pipefail

: "${AIRFLOW_ADMIN_USER:?set AIRFLOW_ADMIN_USER in .env}"
: "${AIRFLOW_ADMIN_PASSWORD:?set AIRFLOW_ADMIN_PASSWORD in .env}"
: "${COMPLAINTS_MANAGER_USER:?set COMPLAINTS_MANAGER_USER in .env}"
: "${COMPLAINTS_MANAGER_PASSWORD:?set COMPLAINTS_MANAGER_PASSWORD in .env}"
: "${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?}"

echo "init: API users"
python - <<'PY'
import json
import os
from pathlib import Path

path = Path(os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
path.parent.mkdir(parents=True, exist_ok=True)
users = {
    os.environ["AIRFLOW_ADMIN_USER"]: os.environ["AIRFLOW_ADMIN_PASSWORD"],
    os.environ["COMPLAINTS_MANAGER_USER"]: os.environ["COMPLAINTS_MANAGER_PASSWORD"],
}
path.write_text(json.dumps(users) + "\n")
path.chmod(0o660)
print(f"init: {', '.join(users)} can sign in")
PY

echo "init: migrating the Airflow metadata database"
airflow db migrate

if [[ "${COMPLAINTS_SEED_DEMO_SOURCE:-true}" == "true" ]]; then
  echo "init: demo source"
  python "$(dirname "$0")/seed_demo_source.py"
fi

mkdir -p "${COMPLAINTS_OUTPUT_DIR:-/opt/airflow/output}"
echo "init: done"
