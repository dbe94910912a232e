"""Row shaping on its own: every coercion a source's values go through on their way to staging,
the marker of a value that cannot be read (never the value), and the errors that name the
table and the row when a key cannot be staged."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from csc_complaints.extract.rows import (
    UNREADABLE,
    UNREADABLE_DATE,
    ExtractError,
    RowShaper,
    as_boolean,
    as_iso_date,
    as_text,
    as_timestamp,
    as_whole_number,
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


def test_change_stamps_become_timestamps_or_unreadable():
    assert as_timestamp(None) is None
    assert as_timestamp(date(2020, 1, 2)) == datetime(2020, 1, 2)
    assert as_timestamp(" 2020-01-02 03:04:05 ") == datetime(2020, 1, 2, 3, 4, 5)
    assert as_timestamp("yesterday") is UNREADABLE
    assert as_timestamp(20200102) is UNREADABLE


@pytest.mark.parametrize(
    ("value", "staged"),
    [
        (None, None),
        (7, 7),
        ("12", 12),
        (" -3 ", -3),
        (3.0, 3),  # SQLite's REAL holding a whole number
        (Decimal("4"), 4),
        ("abc", UNREADABLE),
        ("NaN", UNREADABLE),
        (float("nan"), UNREADABLE),
        (float("inf"), UNREADABLE),
        (2.5, UNREADABLE),
        ("1e3", UNREADABLE),
        ("", UNREADABLE),
        (True, UNREADABLE),
        (2**31, UNREADABLE),  # more than staging's INTEGER holds
        (-(2**31), -(2**31)),
    ],
)
def test_whole_numbers_are_read_or_unreadable(value, staged):
    assert (
        as_whole_number(value) == staged
        if staged is not UNREADABLE
        else (as_whole_number(value) is UNREADABLE)
    )


@pytest.mark.parametrize(
    ("value", "staged"),
    [
        (None, None),
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("t", True),
        ("f", False),
        (" TRUE ", True),
        ("false", False),  # bool('false') is True: the miscount this guards against
        ("0", False),
        ("N", UNREADABLE),
        ("Y", UNREADABLE),
        ("yes", UNREADABLE),
        ("no", UNREADABLE),
        ("", UNREADABLE),
        (2, UNREADABLE),
        (1.0, UNREADABLE),
    ],
)
def test_booleans_accept_only_a_drivers_true_and_false(value, staged):
    assert as_boolean(value) is staged


def test_text_longer_than_its_column_is_unreadable():
    assert as_text("upheld", 30) == "upheld"
    assert as_text(5, 30) == "5"
    assert as_text("x" * 31, 30) is UNREADABLE
    assert as_text("x" * 5000, None) == "x" * 5000
    assert as_text(b"bytes", 30) is UNREADABLE
    assert as_text("up\x00held", 30) == "upheld"  # PostgreSQL text cannot hold a NUL


def _complaint(**changes) -> dict:
    row = {
        "complaint_id": 4,
        "reference": "CSC-2019-0004",
        "received_date": "2019-05-04",
        "qualifying": 1,
        "issue": "communication",
        "channel": "email",
        "relationship": "parent",
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
        "relationship": "parent",
        "updated_at": datetime(2020, 4, 20, 9, 0),
        "deleted_at": None,
        "_unreadable": None,
        "_source_hash": None,
    }
    assert set(shaper.columns) == set(staged) - {
        "council_code",
        "_run_id",
        "_source_copies",
        "_unreadable",
        "_source_hash",
    }


def test_values_that_cannot_be_read_are_staged_as_null_and_named_never_quoted():
    shaper = RowShaper("complaint_stages", "E06000005", "run-1")
    row = {
        "stage_id": 9,
        "complaint_id": "4",
        "stage": "NaN",
        "team_id": "call Ann on 0700 900123",
        "requested_date": "2019-05-04",
        "extension_agreed": "N",
        "response_date": None,
        "outcome": "upheld" * 10,
        "panel_date": None,
        "panel_report_date": None,
        "updated_at": "last Tuesday",
        "deleted_at": None,
        "_source_hash": "0" * 32,
    }
    staged = shaper.shape(row, copies=1)
    assert (staged["stage"], staged["team_id"], staged["extension_agreed"]) == (None, None, None)
    assert (staged["outcome"], staged["updated_at"]) == (None, None)
    assert staged["complaint_id"] == 4
    assert staged["_unreadable"] == (
        "stage is not a whole number; team_id is not a whole number; "
        "extension_agreed is not true or false; outcome is longer than 30 characters; "
        "updated_at is not a timestamp"
    )
    assert "0700" not in repr(staged) and "upheldupheld" not in repr(staged)
    assert staged["_source_hash"] == "0" * 32


def test_a_key_that_cannot_be_read_stops_the_run_without_quoting_it():
    shaper = RowShaper("complaints", "E06000005", "run-1")
    with pytest.raises(ExtractError) as failure:
        shaper.shape(_complaint(complaint_id="Mrs Smith"), copies=1)
    assert "complaints: a row's complaint_id is not a whole number" in str(failure.value)
    assert "Smith" not in str(failure.value)


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
    with pytest.raises(ExtractError, match=r"complaints: a row has no id \(the row after id 1\)"):
        list(grouped_by_key([{"id": 1}, {"id": None}], "id", "complaints"))


def test_a_duplicated_key_carries_the_largest_fingerprint_of_its_copies():
    rows = [
        {"id": 1, "_source_hash": "b"},
        {"id": 1, "_source_hash": "c"},
        {"id": 1, "_source_hash": "a"},
    ]
    assert list(grouped_by_key(rows, "id", "feedback")) == [({"id": 1, "_source_hash": "c"}, 3)]


def test_batches_hold_every_item_once_in_order():
    assert list(batched(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batched([], 3)) == []
