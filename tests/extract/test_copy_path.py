"""The COPY path's error when a value still cannot be staged: where (line, column), never what."""

from __future__ import annotations

import dataclasses
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


def test_a_new_councils_rows_are_analysed_though_they_are_few_in_the_table(
    new_postgres_database, new_sqlite_database
):
    """In a shared warehouse a new council's first load is a small part of each staging table,
    under autovacuum's 10%; the planner must still learn of it at once (it took a council it
    had no statistics for as one row and joined its stage rows by nested loops: 25 s instead of
    0.1 s at 150 councils)."""
    from sqlalchemy import text

    from csc_complaints.extract import run_extract
    from csc_complaints.settings import load_settings
    from csc_complaints_demo.synthetic import GeneratorConfig, generate

    warehouse = make_engine(new_postgres_database())
    settings = load_settings({})
    big, small = make_engine(new_sqlite_database()), make_engine(new_sqlite_database())
    generate(big, GeneratorConfig(seed=1, complaints_per_year=1500, years=2), progress=False)
    generate(small, GeneratorConfig(seed=2, complaints_per_year=100, years=2), progress=False)
    run_extract(big, warehouse, settings, "big")
    newcomer = dataclasses.replace(settings, council_code="E06000999")

    def councils_known_to_the_planner() -> set[str]:
        with warehouse.connect() as conn:
            values = conn.execute(
                text(
                    "SELECT CAST(most_common_vals AS TEXT) FROM pg_stats "
                    "WHERE tablename = 'stg_complaint_stages' AND attname = 'council_code'"
                )
            ).scalar_one()
        return set(values.strip("{}").split(","))

    assert councils_known_to_the_planner() == {settings.council_code}
    run_extract(small, warehouse, newcomer, "small")  # 200 complaints against 3,000
    assert councils_known_to_the_planner() == {settings.council_code, "E06000999"}
    for engine in (warehouse, big, small):
        engine.dispose()
