"""SQLAlchemy models of the case-management (source) database, exactly as docs/source-schema.md.

The pipeline only reads this database. Rows are never hard-deleted: a record entered in error
gets ``deleted_at`` and a new ``updated_at``. Columns marked personal data never leave it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Code lists of docs/source-schema.md (DQ06 checks the staged rows against the same lists,
# defined in the expectation suites).
RELATIONSHIPS = ("child or young person", "parent", "carer", "advocate", "other")
CHANNELS = ("web", "email", "phone", "letter", "in person", "other")
OUTCOMES = (
    "upheld",
    "partially_upheld",
    "not_upheld",
    "inconclusive",
    "withdrawn",
    "escalated_without_response",
)
FEEDBACK_KINDS = ("compliment", "comment")
LEARNING_STATUSES = ("open", "completed")


def _deleted_rows_index(table: str, key: str) -> Index:
    """The keys of the soft-deleted rows only (a partial index, small: few rows are deleted).

    The extract counts the rows that are not deleted on every run (RC01, completeness) as all
    rows (the primary key's index) less the deleted ones (this index), so the count reads two
    indexes instead of every row of the table.
    """
    deleted = text("deleted_at IS NOT NULL")
    return Index(f"ix_{table}_deleted", key, postgresql_where=deleted, sqlite_where=deleted)


class SourceBase(DeclarativeBase):
    pass


class Team(SourceBase):
    __tablename__ = "teams"
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    service_area: Mapped[str] = mapped_column(String(100), nullable=False)


class IssueCategory(SourceBase):
    __tablename__ = "issue_categories"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(100), nullable=False)


class _Audited:
    """``updated_at`` on every change (the extract's high-water mark) and soft deletion."""

    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Complainant(_Audited, SourceBase):
    """Personal data: never leaves the source database."""

    __tablename__ = "complainants"
    complainant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    full_name: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    relationship: Mapped[str | None] = mapped_column(String(40))
    __table_args__ = (Index("ix_complainants_updated_at", "updated_at"),)


class Complaint(_Audited, SourceBase):
    __tablename__ = "complaints"
    complaint_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    complainant_id: Mapped[int | None] = mapped_column(ForeignKey("complainants.complainant_id"))
    received_date: Mapped[date] = mapped_column(Date, nullable=False)
    qualifying: Mapped[bool] = mapped_column(Boolean, nullable=False)
    issue: Mapped[str] = mapped_column(ForeignKey("issue_categories.code"), nullable=False)
    channel: Mapped[str | None] = mapped_column(String(20))
    summary: Mapped[str | None] = mapped_column(Text)  # personal data
    __table_args__ = (
        Index("ix_complaints_updated_at", "updated_at"),
        _deleted_rows_index("complaints", "complaint_id"),
    )


class ComplaintStage(_Audited, SourceBase):
    __tablename__ = "complaint_stages"
    stage_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.complaint_id"), nullable=False)
    stage: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.team_id"), nullable=False)
    requested_date: Mapped[date] = mapped_column(Date, nullable=False)
    extension_agreed: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    response_date: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(30))
    panel_date: Mapped[date | None] = mapped_column(Date)
    panel_report_date: Mapped[date | None] = mapped_column(Date)
    __table_args__ = (
        UniqueConstraint("complaint_id", "stage", name="uq_complaint_stages_complaint_stage"),
        Index("ix_complaint_stages_updated_at", "updated_at"),
        _deleted_rows_index("complaint_stages", "stage_id"),
    )


class Feedback(_Audited, SourceBase):
    __tablename__ = "feedback"
    feedback_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.team_id"), nullable=False)
    received_date: Mapped[date] = mapped_column(Date, nullable=False)
    summary: Mapped[str | None] = mapped_column(Text)  # personal data
    __table_args__ = (
        Index("ix_feedback_updated_at", "updated_at"),
        _deleted_rows_index("feedback", "feedback_id"),
    )


class OmbudsmanCase(_Audited, SourceBase):
    __tablename__ = "ombudsman_cases"
    ombudsman_case_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.complaint_id"))
    referred_date: Mapped[date] = mapped_column(Date, nullable=False)
    decision_date: Mapped[date | None] = mapped_column(Date)
    decision: Mapped[str | None] = mapped_column(String(60))
    maladministration: Mapped[bool | None] = mapped_column(Boolean)
    __table_args__ = (
        Index("ix_ombudsman_cases_updated_at", "updated_at"),
        _deleted_rows_index("ombudsman_cases", "ombudsman_case_id"),
    )


class LearningAction(_Audited, SourceBase):
    __tablename__ = "learning_actions"
    action_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.complaint_id"), nullable=False)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.team_id"), nullable=False)
    agreed_date: Mapped[date] = mapped_column(Date, nullable=False)
    action_text: Mapped[str] = mapped_column(Text, nullable=False)  # written for publication
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    completed_date: Mapped[date | None] = mapped_column(Date)
    __table_args__ = (
        Index("ix_learning_actions_updated_at", "updated_at"),
        _deleted_rows_index("learning_actions", "action_id"),
    )


def create_source_schema(engine) -> None:
    """Create the source tables (and their indexes) if they do not exist."""
    SourceBase.metadata.create_all(engine)
