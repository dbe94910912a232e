"""The report as one accessible HTML page (``include/templates/report.html.j2``).

``lang="en-GB"``, headings in order (h1 title, h2 sections, h3 and h4 below), real tables with
header cells and captions, charts as SVG images whose ``alt`` text carries every number, and a
DRAFT notice until sign-off. Jinja's autoescape prints source text literally.

Each block of the model becomes a view for the template (``BlockViews``, a
``document.BlockRenderer`` like the PDF's ``BlockFlowables``); the headings get their anchors
here.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from typing import Any

import jinja2

from csc_complaints.report.document import (
    BlockRenderer,
    Bullets,
    Chart,
    Document,
    Heading,
    Paragraph,
    Table,
    Texts,
)
from csc_complaints.report.wording import TEMPLATES_DIR, wording

View = dict[str, Any]


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _slug(text: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    slug, n = base, 1
    while slug in used:
        n += 1
        slug = f"{base}-{n}"
    used.add(slug)
    return slug


class BlockViews(BlockRenderer[View]):
    """What the template needs of each block of one document."""

    def __init__(self, document: Document) -> None:
        super().__init__(document)
        used: set[str] = {"contents-heading"}
        # Each heading's id, by its position among the blocks: unique, from its text.
        self.anchors = {
            position: _slug(block.text, used)
            for position, block in enumerate(document.blocks)
            if isinstance(block, Heading)
        }

    def contents(self) -> list[View]:
        """The listed headings as a tree: each entry's ``children`` are the entries of the
        next level below it, so the Contents is a nested list that shows its levels."""
        root: View = {"level": 0, "children": []}
        path = [root]
        for position, block in self.document.listed_headings():
            entry = {"level": block.level, "text": block.text, "id": self.anchors[position]}
            entry["children"] = []
            while len(path) > 1 and path[-1]["level"] >= block.level:
                path.pop()
            path[-1]["children"].append(entry)
            path.append(entry)
        return root["children"]

    def heading(self, block: Heading, position: int) -> View:
        return {
            "kind": "heading",
            "text": block.text,
            "tag_level": min(block.level + 1, 6),  # h1 is the report's title
            "id": self.anchors[position],
        }

    def paragraph(self, block: Paragraph, position: int) -> View:
        return {"kind": "paragraph", "segments": block.segments(), "style": block.style}

    def texts(self, block: Texts, position: int) -> View:
        return {"kind": "texts", "entries": block.items}

    def bullets(self, block: Bullets, position: int) -> View:
        return {"kind": "bullets", "entries": block.items}

    def chart(self, block: Chart, position: int) -> View:
        from csc_complaints.report.charts import svg_for

        svg = svg_for(block)
        width = re.search(r'<svg[^>]* width="([0-9.]+)', svg)
        return {
            "kind": "chart",
            "title": block.title,
            "alt": block.alt,
            "width": round(float(width.group(1))) if width else None,
            "svg_base64": base64.b64encode(svg.encode("utf-8")).decode("ascii"),
        }

    def table(self, block: Table, position: int) -> View:
        """The rows in groups, one ``tbody`` each: a service area's row starts one, and the
        council's total row is one of its own."""
        groups: list[list] = []
        for row in block.rows:
            if not groups or row.kind in {"area", "total"} or groups[-1][-1].kind == "total":
                groups.append([])
            groups[-1].append(row)
        return {
            "kind": "table",
            "id": f"table{position}",  # its cells' ids start with it
            "caption": block.caption,
            "header": block.header,
            "groups": groups,
            "numeric_from": block.numeric_from,
            "style": block.style,
        }


def render_html(document: Document, draft: bool) -> str:
    blocks = BlockViews(document)
    template = _environment().get_template("report.html.j2")
    words = wording("document")
    status = words.text("not_signed_off") if draft else document.approved
    return template.render(
        doc=document,
        blocks=blocks.render_blocks(),
        contents=blocks.contents(),
        draft=draft,
        draft_notice=words.text("draft_notice"),
        status=status,
        # The same description as the PDF's subject; the approval's day, in the council's zone.
        subject=wording(document.furniture).text(
            "subject", document.year_label, draft, document.approved
        ),
        approved_on=None if draft or document.approved_on is None else document.approved_on,
        published_at=document.published_at,
    )
