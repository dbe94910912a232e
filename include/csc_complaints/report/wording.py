"""The report's wording: Jinja templates in ``include/templates/``, one macro per passage.

Every sentence, heading, caption and label of the report is written in a template; Python
passes figures (numbers, percentages as ``Decimal``, names, year labels) and assembles what the
macros return. The house-style helpers (numbers in words, plurals, percentages) are the
templates' filters and globals, so a template says ``{{ n | count_text }}`` rather than
receiving a number already formatted. No figure is typed into a template.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from csc_complaints.report.document import Block, Bullets, Paragraph

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


@cache
def _environment() -> jinja2.Environment:
    from csc_complaints.report import sentences as say

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=False,  # plain text; each renderer escapes for its own format
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )
    helpers = {
        "count_text": say.count_text,
        "count_phrase": say.count_phrase,
        "opening_count": say.opening_count,
        "number_words": say.number_words,
        "ordinal_words": say.ordinal_words,
        "plural": say.plural,
        "was_were": say.was_were,
        "lower_first": say.lower_first,
        "percent": say.percent_text,
        "sentence": say.sentence,
    }
    env.filters.update(helpers)
    env.globals.update(helpers, no_wording=_no_wording)
    return env


def _no_wording(template: str, key: str) -> str:
    """Called by a template that has no words for ``key`` (a measure new to the registry)."""
    raise LookupError(f"include/templates/{template}.j2 has no wording for {key!r}")


class Wording:
    """The macros of one wording template (``include/templates/<name>.j2``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._module = _environment().get_template(f"{name}.j2").module

    def text(self, macro: str, *args, **kwargs) -> str:
        """What ``macro`` says, without the whitespace around it."""
        return str(getattr(self._module, macro)(*args, **kwargs)).strip()

    def blocks(self, macro: str, *args, **kwargs) -> list[Block]:
        """A passage as blocks: blank lines split paragraphs, ``- `` lines are bullets."""
        blocks: list[Block] = []
        for chunk in self.text(macro, *args, **kwargs).split("\n\n"):
            lines = [line.strip() for line in chunk.strip().splitlines() if line.strip()]
            if not lines:
                continue
            if all(line.startswith("- ") for line in lines):
                blocks.append(Bullets(tuple(line[2:] for line in lines)))
            else:
                blocks.append(Paragraph(" ".join(lines)))
        return blocks


@cache
def wording(name: str) -> Wording:
    """The wording template ``name`` (e.g. ``sections/annex``), loaded once."""
    return Wording(name)
