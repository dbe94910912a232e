"""The PDF's paragraph styles and colours (GOV.UK palette), made once per rendering."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet

from csc_complaints.report.pdf import fonts

BLUE = "#1d70b8"
DARK = "#0b0c0c"
GREY = "#505a5f"  # the footer
GRID = "#b1b4b6"  # table rules
AREA_FILL = "#dbe6f2"
TOTAL_FILL = "#b7cde6"
DRAFT_COLOUR = "#d4351c"
LINK = BLUE  # a link in the text, underlined as well


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    note: ParagraphStyle
    bullet: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    head_cell: ParagraphStyle
    caption: ParagraphStyle
    headings: dict[int, ParagraphStyle]  # by heading level, 1 to 3
    contents: tuple[ParagraphStyle, ...]  # by Contents level, 0 to 2
    cover_title: ParagraphStyle
    cover_subtitle: ParagraphStyle
    glance_head: ParagraphStyle  # the headline figures (At a glance): the header row,
    glance_label: ParagraphStyle  # what each figure is,
    glance_figure: ParagraphStyle  # this year's figure, large,
    glance_prior: ParagraphStyle  # last year's
    glance_change: ParagraphStyle  # and the direction of change

    def paragraph(self, style: str) -> ParagraphStyle:
        """The style of a model ``Paragraph`` (``body`` or ``note``)."""
        return {"body": self.body, "note": self.note}[style]

    def heading(self, level: int, listed: bool) -> ParagraphStyle:
        """A heading left out of Contents (a team, a service area) is printed a size down."""
        size = level if listed or level == 1 else level + 1
        return self.headings[min(size, 3)]


def report_styles() -> Styles:
    """The styles, all in the one embedded family (``fonts``)."""
    fonts.register_fonts()
    body = ParagraphStyle(
        "body",
        parent=getSampleStyleSheet()["BodyText"],
        fontName=fonts.REGULAR,
        bulletFontName=fonts.REGULAR,
        fontSize=10.5,
        leading=14,
        spaceAfter=6,
        textColor=colors.HexColor(DARK),
    )

    def like_body(name: str, **changes) -> ParagraphStyle:
        return ParagraphStyle(name, parent=body, **changes)

    def bold(name: str, size: float, **changes) -> ParagraphStyle:
        return like_body(name, fontName=fonts.BOLD, fontSize=size, **changes)

    def heading(level: int, size: float, leading: float, before: float, after: float, **more):
        return bold(
            f"h{level}",
            size,
            leading=leading,
            spaceBefore=before,
            spaceAfter=after,
            keepWithNext=1,
            **more,
        )

    return Styles(
        body=body,
        note=like_body("note", fontName=fonts.ITALIC),
        bullet=like_body("bullet", leftIndent=14, bulletIndent=2),
        # Table text half a point under the body's scale: Vera is wider than Helvetica was,
        # and at these sizes its (larger) x-height matches Helvetica's at 8.5 and 8 points.
        cell=like_body("cell", fontSize=8, leading=10, spaceAfter=0),
        cell_bold=bold("cell_bold", 8, leading=10, spaceAfter=0),
        head_cell=bold("head_cell", 7.5, leading=9.5, spaceAfter=0, textColor=colors.white),
        caption=bold("caption", 9.5, spaceBefore=4, spaceAfter=4, keepWithNext=1),
        headings={
            1: heading(1, 16, 20, 14, 8, textColor=colors.HexColor(BLUE)),
            2: heading(2, 13, 16, 10, 6),
            3: heading(3, 11, 14, 8, 4),
        },
        # Levels 1 and 2 keep the body's space before; each Contents entry is spaced by it.
        contents=(
            like_body("toc0", fontSize=10.5, leading=13, leftIndent=0, spaceBefore=3, spaceAfter=0),
            like_body("toc1", fontSize=10, leading=12, leftIndent=16, spaceAfter=0),
            like_body("toc2", fontSize=9.5, leading=11.5, leftIndent=32, spaceAfter=0),
        ),
        cover_title=bold(
            "cover_title", 30, leading=36, textColor=colors.HexColor(BLUE), spaceAfter=24
        ),
        cover_subtitle=like_body("cover_sub", fontSize=16, leading=22),
        glance_head=bold("glance_head", 11, leading=14, spaceAfter=0, textColor=colors.white),
        glance_label=like_body("glance_label", fontSize=13, leading=17, spaceAfter=0),
        glance_figure=bold(
            "glance_figure",
            22,
            leading=26,
            spaceAfter=0,
            alignment=TA_RIGHT,
            textColor=colors.HexColor(BLUE),
        ),
        glance_prior=like_body(
            "glance_prior", fontSize=15, leading=19, spaceAfter=0, alignment=TA_RIGHT
        ),
        glance_change=like_body(
            "glance_change", fontSize=13, leading=17, spaceAfter=0, alignment=TA_RIGHT
        ),
    )
