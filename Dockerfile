# The stack's Airflow image: the official Apache Airflow image (same Airflow version and Python as
# requirements.lock) with the project's pinned environment and its package installed.
#   docker compose build        (docker-compose.yml builds it as csc-complaints-airflow)
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11
FROM ${AIRFLOW_IMAGE}

WORKDIR /opt/airflow

# Dependencies first, so a code change does not reinstall them. The lock pins apache-airflow
# itself at the image's version, so pip keeps the image's Airflow (and its providers: celery,
# postgres, smtp) and adds the project's libraries.
COPY --chown=airflow:0 requirements.lock pyproject.toml /opt/airflow/
RUN pip install --no-cache-dir -r /opt/airflow/requirements.lock

# The package, installed editable from /opt/airflow/include: docker-compose.yml mounts the
# working copy's include/ over it, so a code change needs no rebuild.
COPY --chown=airflow:0 include/ /opt/airflow/include/
RUN pip install --no-cache-dir --no-deps -e /opt/airflow

# Folders the compose file mounts or fills (a named volume takes this ownership on first use).
RUN mkdir -p /opt/airflow/output /opt/airflow/expectations /opt/airflow/auth \
    && chmod -R g+rwX /opt/airflow/output /opt/airflow/auth

ENV COMPLAINTS_OUTPUT_DIR=/opt/airflow/output \
    GX_ANALYTICS_ENABLED=False
