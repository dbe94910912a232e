"""The weekly source comparison through real Airflow: rows edited behind the high-water mark
are found, reloaded, alerted (tables, key ranges and counts; no personal data) and rebuilt into
the figures; the next comparison finds nothing and stops before the row checks."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from csc_complaints.db import make_engine
from csc_complaints.warehouse.schema import stats_headlines, stg_complaints, stg_feedback
from tests.airflow_harness import airflow_home, dags_test, with_alert_channels
from tests.dags.test_end_to_end import airflow_uri
from tests.quality.dataset import CANARY, execute, seed_lax_source

# Every change is stamped before the high-water mark (the rows' updated_at is 2019-10-01).
BEHIND_THE_MARK = [
    "UPDATE complaints SET channel = 'phone', updated_at = '2019-09-01 09:00'"
    " WHERE complaint_id = 5",
    "DELETE FROM feedback WHERE feedback_id = 202",
    "INSERT INTO feedback (feedback_id, kind, team_id, received_date, summary, updated_at)"
    f" VALUES (203, 'compliment', 2, '2019-08-01', 'Thanks, {CANARY}', '2019-08-01 10:00:00')",
]


@pytest.mark.airflow
def test_rows_behind_the_high_water_mark_are_found_repaired_and_rebuilt(
    new_sqlite_database, new_postgres_database, tmp_path, smtp_server, webhook_server
):
    smtp, inbox = smtp_server
    webhook_url, posted = webhook_server
    source_url, warehouse_url = new_sqlite_database(), new_postgres_database()
    source = make_engine(source_url)
    seed_lax_source(source)
    env = airflow_home(
        tmp_path, airflow_uri(source_url), airflow_uri(warehouse_url), tmp_path / "output"
    )
    with_alert_channels(env, smtp, webhook_url)

    dags_test(env, "complaints_extract")
    dags_test(env, "complaints_warehouse")
    warehouse = make_engine(warehouse_url)

    def feedback_received() -> dict[str, int]:
        with warehouse.connect() as conn:
            rows = conn.execute(
                select(stats_headlines.c.measure, stats_headlines.c.value).where(
                    stats_headlines.c.financial_year == "2019/20",
                    stats_headlines.c.measure.in_(["compliments_received", "comments_received"]),
                )
            )
            return dict(rows.all())

    assert feedback_received() == {"compliments_received": 1, "comments_received": 1}
    execute(source, *BEHIND_THE_MARK)
    dags_test(env, "complaints_extract")  # the daily extract cannot see them
    with warehouse.connect() as conn:
        assert conn.execute(select(stg_feedback.c.feedback_id)).scalars().all() == [201, 202]
    inbox.messages.clear()
    posted.clear()

    log = dags_test(env, "complaints_source_comparison")
    assert "3 staged row(s) repaired" in log
    with warehouse.connect() as conn:
        assert conn.execute(select(stg_feedback.c.feedback_id)).scalars().all() == [201, 203]
        channel = conn.execute(
            select(stg_complaints.c.channel).where(stg_complaints.c.complaint_id == 5)
        ).scalar_one()
    assert channel == "phone"
    # The alert names tables, key ranges and counts, and no value.
    (_, email), *_ = inbox.messages
    body = email.get_body(preferencelist=("plain",)).get_content()
    assert "SOURCE COMPARISON" in email["Subject"]
    assert "feedback: 1 key range(s) differed (-9999-9999)" in body
    assert "complaints: 1 key range(s) differed" in body
    assert CANARY not in body and CANARY not in log
    payload = json.loads(posted[-1]["body"])
    tables = {t["source_table"]: t for t in payload["tables"]}
    assert (tables["feedback"]["rows_written"], tables["feedback"]["rows_removed"]) == (1, 1)

    # The row checks emitted the staging asset: the warehouse build follows.
    dags_test(env, "complaints_warehouse")
    # Comment 202 is gone, compliment 203 counts.
    assert feedback_received() == {"compliments_received": 2, "comments_received": 0}
    inbox.messages.clear()

    again = dags_test(env, "complaints_source_comparison")
    assert "staging matches the source" in again
    assert inbox.messages == []
    assert "matches its source: no row checks, no rebuild" in again
    assert "row checks E06000005" not in again  # the row checks did not run
