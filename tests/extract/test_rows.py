"""Row shaping on its own: every coercion a source's values go through on their way to staging,
and the errors that name the table, the key and the column when a value cannot be staged."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from csc_complaints.extract.rows import (
    UNREADABLE_DATE,
    ExtractError,
    RowShaper,
    as_iso_date,
    as_timestamp,
    batched,
    grouped_by_key,
)


@pytest.mark.parametrize(
    ("value", "staged"),
    [
        (None, None),
        (date(2019, 5, 1), "2019-05-01"),
        (datetime(2019, 5, 1, 23, 59), "2019-05-01"),  # a date kept as a moment: its day
        ("2019-05-01", "2019-05-01"),
        ("  2019-05-01 ", "2019-05-01"),
        ("01/05/2019", UNREADABLE_DATE),
        ("call Mrs Smith on 0700 900123", UNREADABLE_DATE),  # never the text itself
        ("", UNREADABLE_DATE),
    ],
)
def test_business_dates_are_iso_text_or_the_unreadable_marker(value, staged):
    assert as_iso_date(value) == staged


def test_change_stamps_become_timestamps_or_stop_the_run_naming_the_record():
    assert as_timestamp(None, "complaints", 1, "deleted_at") is None
    assert as_timestamp(date(2020, 1, 2), "complaints", 1, "updated_at") == datetime(2020, 1, 2)
    assert as_timestamp(" 2020-01-02 03:04:05 ", "complaints", 1, "updated_at") == datetime(
        2020, 1, 2, 3, 4, 5
    )
    with pytest.raises(ExtractError, match="complaints key 7: updated_at 'yesterday'"):
        as_timestamp("yesterday", "complaints", 7, "updated_at")


def _complaint(**changes) -> dict:
    row = {
        "complaint_id": 4,
        "reference": "CSC-2019-0004",
        "received_date": "2019-05-04",
        "qualifying": 1,
        "issue": "communication",
        "channel": "email",
        "updated_at": "2020-04-20 09:00:00",
        "deleted_at": None,
    }
    return {**row, **changes}


def test_a_source_row_is_shaped_into_a_staging_row():
    shaper = RowShaper("complaints", "E06000005", "run-1")
    staged = shaper.shape(_complaint(complaint_id="4"), copies=2)
    assert staged == {
        "council_code": "E06000005",
        "_run_id": "run-1",
        "_source_copies": 2,
        "complaint_id": 4,  # whole numbers held as text become integers
        "reference": "CSC-2019-0004",
        "received_date": "2019-05-04",
        "qualifying": True,  # 0/1 flags become booleans
        "issue": "communication",
        "channel": "email",
        "updated_at": datetime(2020, 4, 20, 9, 0),
        "deleted_at": None,
    }
    assert set(shaper.columns) == set(staged) - {"council_code", "_run_id", "_source_copies"}


def test_a_value_that_is_not_a_whole_number_is_named():
    shaper = RowShaper("complaints", "E06000005", "run-1")
    with pytest.raises(ExtractError, match="complaints key CSC: complaint_id 'CSC' is not a whole"):
        shaper.shape(_complaint(complaint_id="CSC"), copies=1)


def test_an_extract_query_that_leaves_out_a_column_is_named():
    shaper = RowShaper("complaints", "E06000005", "run-1")
    row = _complaint()
    del row["channel"]
    with pytest.raises(
        ExtractError, match=r"include/sql/extract/complaints\.sql does not select channel"
    ):
        shaper.shape(row, copies=1)


def test_copies_of_a_key_are_staged_once_the_last_copy_winning():
    rows = [
        {"id": 1, "v": "a"},
        {"id": 2, "v": "b"},
        {"id": 2, "v": "c"},
        {"id": 3, "v": "d"},
    ]
    assert list(grouped_by_key(rows, "id", "teams")) == [
        ({"id": 1, "v": "a"}, 1),
        ({"id": 2, "v": "c"}, 2),
        ({"id": 3, "v": "d"}, 1),
    ]


def test_rows_out_of_key_order_or_without_a_key_stop_the_run():
    with pytest.raises(ExtractError, match=r"complaints\.sql must return rows ORDER BY id"):
        list(grouped_by_key([{"id": 2}, {"id": 1}], "id", "complaints"))
    with pytest.raises(ExtractError, match="complaints: a row has no id"):
        list(grouped_by_key([{"id": 1}, {"id": None}], "id", "complaints"))


def test_batches_hold_every_item_once_in_order():
    assert list(batched(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batched([], 3)) == []
