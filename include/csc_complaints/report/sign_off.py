"""Who signed a report off, and when: "Approved by <name>, <role> on <date>".

The name and the time come from the Airflow human-in-the-loop response of the
``approve_report`` task (``responded_by_user``, ``responded_at``); the role is the setting
``sign_off_role``. The final report prints the line on its cover and carries it in the PDF's and
the HTML's metadata, and the PDF's creation date is the approval's time, so two builds of the
same approval are byte-identical (a draft keeps reportlab's fixed invariant date).

Plain Python: no Airflow import, so a test or a person at a prompt can make one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo


class SignOffMissing(ValueError):
    """A final report was asked for without the approval that signs it off."""


@dataclass(frozen=True)
class SignOff:
    name: str  # the person who approved, as Airflow names them
    role: str  # the setting sign_off_role
    approved_at: datetime  # when they approved (aware)
    timezone: str = "Europe/London"  # the council's zone: the date printed is theirs

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise SignOffMissing("the approval names no person")
        if self.approved_at.tzinfo is None:
            raise ValueError("the approval time must carry its time zone")

    @property
    def approved_on(self) -> date:
        """The day of the approval in the council's time zone."""
        return self.approved_at.astimezone(ZoneInfo(self.timezone)).date()

    @property
    def utc(self) -> datetime:
        """The approval time in UTC, to the second (the PDF's creation date)."""
        return self.approved_at.astimezone(UTC).replace(microsecond=0)

    @classmethod
    def from_response(cls, response: Mapping[str, Any], role: str, timezone: str) -> SignOff:
        """From the ``approve_report`` task's result (Airflow's HITL response): its
        ``responded_by_user`` (``name``, else ``id``) and ``responded_at``."""
        if not response:
            raise SignOffMissing("the approve_report task returned no approval")
        user = response.get("responded_by_user") or {}
        name = str(user.get("name") or user.get("id") or "").strip()
        when = response.get("responded_at")
        if isinstance(when, str):
            when = datetime.fromisoformat(when)
        if not isinstance(when, datetime):
            raise SignOffMissing(f"the approval has no time it was given: {when!r}")
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return cls(name=name, role=role, approved_at=when, timezone=timezone)
