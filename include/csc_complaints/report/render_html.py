"""The report as one accessible HTML page (``include/templates/report.html.j2``).

``lang="en-GB"``, headings in order (h1 title, h2 sections, h3 and h4 below), real tables with
header cells and captions, charts as SVG images whose ``alt`` text carries every number, and a
DRAFT notice until sign-off. Jinja's autoescape prints source text literally.
"""

from __future__ import annotations

import base64
import re
from functools import cache

import jinja2

from csc_complaints.report.document import (
    Bullets,
    Chart,
    Document,
    Heading,
    Paragraph,
    Table,
    Texts,
)
from csc_complaints.report.wording import TEMPLATES_DIR, wording


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


def render_html(document: Document, draft: bool) -> str:
    from csc_complaints.report.charts import svg_for

    used: set[str] = {"contents-heading"}
    blocks, contents = [], []
    for block in document.blocks:
        if isinstance(block, Heading):
            item = {
                "kind": "heading",
                "text": block.text,
                "tag_level": min(block.level + 1, 6),  # h1 is the report's title
                "id": _slug(block.text, used),
            }
            blocks.append(item)
            if block.toc:
                contents.append({"level": block.level, "text": block.text, "id": item["id"]})
        elif isinstance(block, Paragraph):
            blocks.append({"kind": "paragraph", "text": block.text, "style": block.style})
        elif isinstance(block, Bullets):
            blocks.append({"kind": "bullets", "entries": block.items})
        elif isinstance(block, Texts):
            blocks.append({"kind": "texts", "entries": block.items})
        elif isinstance(block, Chart):
            svg = svg_for(block).encode("utf-8")
            blocks.append(
                {
                    "kind": "chart",
                    "title": block.title,
                    "alt": block.alt,
                    "svg_base64": base64.b64encode(svg).decode("ascii"),
                }
            )
        elif isinstance(block, Table):
            blocks.append(
                {
                    "kind": "table",
                    "caption": block.caption,
                    "header": block.header,
                    "rows": block.rows,
                    "numeric_from": block.numeric_from,
                }
            )
    template = _environment().get_template("report.html.j2")
    return template.render(
        doc=document,
        blocks=blocks,
        contents=contents,
        draft=draft,
        draft_notice=wording("document").text("draft_notice"),
    )
