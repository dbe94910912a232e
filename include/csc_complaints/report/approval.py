"""The sign-off step of the annual report: Airflow's human-in-the-loop approval, plus two rules.

* Each council's report is signed off on its own (``council_code``, a template: see
  ``dags/complaints_annual_report.py``): the request names the council and, when the registry
  lists the council's ``approvers``, only they may answer it (HITL ``assigned_users``).
* A year that cannot be signed off (rejected rows, failed critical rules, not reconciled) is not
  even offered for approval: the council's task fails at once and says why, and its report stays
  a DRAFT.
* ``COMPLAINTS_AUTO_APPROVE=true`` (for ``make demo`` only) approves without a person and says
  so loudly in the task log. Never set it in production.
* ``COMPLAINTS_REPORT_DRAFT_ONLY=true`` (for ``make run``, whose ``airflow dags test`` cannot
  wait for a person) skips the approval, so the run ends with the DRAFT and the publish step
  skipped: nothing is signed off that a person did not sign off.

Imported by the DAG file at parse time: only Airflow and this package's light modules here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator

AUTO_APPROVE_VARIABLE = "COMPLAINTS_AUTO_APPROVE"
DRAFT_ONLY_VARIABLE = "COMPLAINTS_REPORT_DRAFT_ONLY"
AUTO_APPROVER = {"id": "auto-approve", "name": f"{AUTO_APPROVE_VARIABLE}=true (demo only)"}


class YearCannotBeSignedOff(RuntimeError):
    """The year has rejected rows or failed critical rules, or has not been reconciled."""


def auto_approve_enabled(environ: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if environ is None else environ).get(AUTO_APPROVE_VARIABLE, "")
    return value.strip().lower() in {"1", "true", "yes"}


def draft_only_enabled(environ: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if environ is None else environ).get(DRAFT_ONLY_VARIABLE, "")
    return value.strip().lower() in {"1", "true", "yes"}


def sign_off_blockers(output_dir, financial_year: str, council_code: str) -> list[str]:
    """Why the year's report cannot be signed off (empty: it can)."""
    from csc_complaints.dates import FinancialYear
    from csc_complaints.report.reconciliation import read_reconciliation

    year = FinancialYear.parse(financial_year)
    return read_reconciliation(output_dir, year, council_code).blocking_reasons()


def assigned_users(approvers) -> list[dict[str, str]] | None:
    """The HITL request's ``assigned_users`` for a council's registry ``approvers`` (Airflow
    user ids, the user names of the auth manager); None, anyone allowed, when it lists none."""
    return [{"id": user, "name": user} for user in approvers] or None


class ReportApprovalOperator(ApprovalOperator):
    """Approve or reject a council's DRAFT report of the year; refuses a year that cannot be
    signed off; asks only the council's approvers when the registry names them."""

    def __init__(self, *, financial_year: str, council_code: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.financial_year = financial_year
        self.council_code = council_code

    template_fields = (*ApprovalOperator.template_fields, "financial_year", "council_code")

    def execute(self, context):
        from csc_complaints.councils import load_council
        from csc_complaints.orchestration import failing_fast

        # Registry or settings errors and a year that cannot be signed off fail at once.
        with failing_fast():
            council = load_council(self.council_code)
            blockers = sign_off_blockers(council.output_path, self.financial_year, council.code)
            if blockers:
                raise YearCannotBeSignedOff(
                    f"the {self.financial_year} report of {council.label} stays a DRAFT and "
                    "cannot be approved: " + "; ".join(blockers)
                )
        # Set here, not at parse time: the DAG file never reads the registry.
        self.assigned_users = assigned_users(council.approvers)
        if auto_approve_enabled():
            return self._auto_approve(context)
        if draft_only_enabled():
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException(
                f"{DRAFT_ONLY_VARIABLE}=true: the {self.financial_year} report of "
                f"{council.label} was built as a DRAFT and is left for a person to sign off in "
                "Airflow."
            )
        if self.assigned_users:
            self.log.info(
                "only %s may sign off %s's report", ", ".join(council.approvers), council.label
            )
        return super().execute(context)

    def _auto_approve(self, context):
        """Approve without a person (the demo), and say so where nobody can miss it."""
        banner = "!" * 78
        self.log.warning(banner)
        self.log.warning(
            "AUTO-APPROVED: %s=true, so the %s annual report of council %s was approved "
            "WITHOUT a person's sign-off. This is for the demo only; unset it in production.",
            AUTO_APPROVE_VARIABLE,
            self.financial_year,
            self.council_code,
        )
        self.log.warning(banner)
        return self.execute_complete(
            context,
            {
                "chosen_options": [self.APPROVE],
                "params_input": {},
                "responded_at": datetime.now(UTC),
                "responded_by_user": AUTO_APPROVER,
            },
        )
