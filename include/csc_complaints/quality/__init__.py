"""Data quality: row checks (DQ), reconciliation (RC) and alerts, driven by the GX suites in
``expectations/``. Nothing here imports Great Expectations or Airflow at module level.

Task-facing functions:

* ``run_row_checks(warehouse_engine, settings, run_id, output_dir)`` after the extract;
* ``run_reconciliation(warehouse_engine, settings, run_id, years, output_dir)`` after a build;
* ``send_alerts(result, dag_id, run_id, smtp, recipients, webhook_url, warehouse_engine)``
  (or ``airflow_alerts.send_alerts_from_airflow`` inside a task);
* ``record_published_figures(warehouse_engine, council_code, financial_year)`` on publication.

``result.critical_failures`` non-empty means the task must fail; ``result.summary()`` says why.
"""

from csc_complaints.quality.alerts import AlertDeliveryError, SmtpSettings, send_alerts
from csc_complaints.quality.reconciliation import (
    ReconciliationResult,
    record_published_figures,
    run_reconciliation,
)
from csc_complaints.quality.row_checks import RowCheckResult, run_row_checks

__all__ = [
    "AlertDeliveryError",
    "ReconciliationResult",
    "RowCheckResult",
    "SmtpSettings",
    "record_published_figures",
    "run_reconciliation",
    "run_row_checks",
    "send_alerts",
]
