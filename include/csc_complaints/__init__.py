"""Children's Social Care complaints reporting ETL.

Everything the DAGs do lives here, in plain functions that run and test without Airflow:
``source`` (the case-management schema, the reference dataset, the synthetic generator),
``extract`` (incremental copy into staging), ``warehouse`` (dimensions, facts, stats tables),
``quality`` (Great Expectations row checks and reconciliation), ``report`` (PDF, HTML, CSV).
"""
