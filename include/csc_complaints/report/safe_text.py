"""Text from the source made safe to print, and CSV cells made safe to open in a spreadsheet.

* ``clean_text``: a team's or service area's name, an issue label or a learning action's text is
  typed by a person into the case-management system. Before it reaches the PDF, the HTML or a
  CSV it loses NUL bytes and the bidirectional control characters (U+202A-U+202E embeddings and
  overrides, U+2066-U+2069 isolates), which can make text display in another order than it is
  stored ("Trojan Source"). ``csc_complaints.report.figures`` applies it to every text value it
  reads from the warehouse: the one place such text enters the report and the open data.
* ``csv_cell``: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  would be run as a formula by a spreadsheet (CSV injection). Following OWASP's advice it is
  written with a leading single quote. Numbers are written as they are. Every CSV this package
  writes passes its cells through it (``csv_text``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

# NUL, the embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and the isolates (LRI, RLI, FSI, PDI).
UNSAFE_CHARACTERS = (
    "\x00" + "".join(map(chr, range(0x202A, 0x202F))) + "".join(map(chr, range(0x2066, 0x206A)))
)
_REMOVE = str.maketrans("", "", UNSAFE_CHARACTERS)

# OWASP's list of the characters a spreadsheet reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value: str) -> str:
    """``value`` without NUL bytes and bidirectional control characters."""
    return value.translate(_REMOVE)


def clean_value(value: Any) -> Any:
    """A value read from the warehouse: text cleaned (``clean_text``), anything else as it is."""
    return clean_text(value) if isinstance(value, str) else value


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV file as RFC 4180 has it (a header row, CRLF line ends), every cell through
    ``csv_cell``. With CRLF as the line end, a cell holding a carriage return or a line feed is
    quoted, so it stays one cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(name) for name in header])
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue()
