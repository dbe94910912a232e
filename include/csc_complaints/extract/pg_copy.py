"""PostgreSQL COPY helpers: the text format and a server-to-server pipe (used by the extract's
COPY path, and also by the demo package's synthetic generator and the benchmark)."""

from __future__ import annotations

import os
import threading
from datetime import date, datetime
from typing import Any


def copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def pipe_copy(source_dbapi: Any, copy_out: str, target_cursor: Any, copy_in: str) -> None:
    """``COPY ... TO STDOUT`` on one server piped into ``COPY ... FROM STDIN`` on another.

    The two run at once (a thread writes the pipe while this one reads it), so nothing is held
    in memory. A failure on the source side is re-raised here, after the reader has stopped, so
    the caller's transaction rolls back instead of keeping a partial copy.
    """
    read_end, write_end = os.pipe()
    failure: list[BaseException] = []

    def pump() -> None:
        try:
            with (
                os.fdopen(write_end, "wb", buffering=1 << 20) as pipe,
                source_dbapi.cursor() as out,
            ):
                out.copy_expert(copy_out, pipe)
        except BaseException as exc:  # re-raised in the caller's thread below
            failure.append(exc)

    writer = threading.Thread(target=pump, name="pipe-copy", daemon=True)
    writer.start()
    try:
        with os.fdopen(read_end, "rb", buffering=1 << 20) as pipe:
            target_cursor.copy_expert(copy_in, pipe)
    finally:
        # Reading ended (or failed, closing the pipe, which stops the writer): wait for it.
        writer.join()
    if failure:
        raise failure[0]
