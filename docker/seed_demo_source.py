"""Seed the demo case-management database with the reference dataset (the stack's init job).

    python docker/seed_demo_source.py --url postgresql://owner:PASSWORD@postgres:5432/complaints_source

The URL may also come from ``COMPLAINTS_DEMO_SOURCE_URL``. The init job runs on every
``docker compose up``: a source that already holds rows is left exactly as it is (the seed never
mixes with, or duplicates, existing data), so the demo's figures stay those of the reference
report. Against a council's real system this script is not used at all.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from sqlalchemy import func, inspect, select

from csc_complaints.db import make_engine
from csc_complaints_demo.models import SourceBase
from csc_complaints_demo.reference_data import build_reference_dataset


def occupied_tables(engine) -> dict[str, int]:
    """Source tables that exist and hold rows, with their row counts."""
    existing = set(inspect(engine).get_table_names())
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for table in SourceBase.metadata.sorted_tables:
            if table.name in existing:
                rows = conn.execute(select(func.count()).select_from(table)).scalar_one()
                if rows:
                    counts[table.name] = rows
    return counts


def seed(url: str) -> str:
    """Build the reference dataset unless the source already holds data; say what happened."""
    engine = make_engine(url)
    try:
        occupied = occupied_tables(engine)
        if occupied:
            listed = ", ".join(f"{name} {rows}" for name, rows in occupied.items())
            return f"demo source already holds data ({listed}); left as it is"
        counts = build_reference_dataset(engine)
        return "demo source seeded with the reference dataset: " + ", ".join(
            f"{name} {rows}" for name, rows in counts.items()
        )
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("COMPLAINTS_DEMO_SOURCE_URL"))
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("give --url or set COMPLAINTS_DEMO_SOURCE_URL")
    print(seed(args.url), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
