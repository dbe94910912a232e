"""The COPY path's error when a value still cannot be staged: where (line, column), never what."""

from __future__ import annotations

import io

import pytest
from psycopg2 import DataError

from csc_complaints.db import make_engine
from csc_complaints.extract.copy_path import _copy_position

SECRET = "Call Mrs Quarmby on 07700 900123"


def test_a_copy_failure_is_placed_by_line_and_column_without_its_value(new_postgres_database):
    engine = make_engine(new_postgres_database())
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute("CREATE TEMPORARY TABLE landing (id integer, team_id integer)")
        with pytest.raises(DataError) as failure:
            cursor.copy_expert(
                "COPY landing (id, team_id) FROM STDIN", io.StringIO(f"1\t2\n2\t{SECRET}\n")
            )
        assert SECRET in str(failure.value)  # what PostgreSQL says, and why it is not passed on
        assert _copy_position(failure.value) == "line 2, column team_id"
    engine.dispose()
