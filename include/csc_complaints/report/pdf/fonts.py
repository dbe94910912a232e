"""The PDF's one typeface, embedded: Bitstream Vera Sans, the TrueType family reportlab ships.

An accessible PDF embeds every font it draws with (PDF/UA), so the report uses a TrueType
family rather than the base-14 Helvetica a viewer would substitute. Vera Sans is a plain,
open sans-serif; reportlab embeds each font as a subset of the glyphs used, with a ToUnicode
map so the text can be copied and read aloud. Its character set is Latin-1 and the usual
typographic punctuation (dashes, quotes, bullets, the pound and euro signs): what the report's
wording and a council's case notes use.

Registered once per process under the names below; the paragraph styles, tables, charts,
page furniture and the canvas's initial font all use them, so no other font reaches the file.
Text from the source (team names, learning actions) may hold a character the family has no
glyph for: ``printable`` gives the PDF its unaccented letter instead (``ś`` prints as ``s``), or
``?``, never an empty box (the HTML and the CSV keep the text as it is).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

REGULAR = "ReportSans"
BOLD = "ReportSans-Bold"
ITALIC = "ReportSans-Italic"
BOLD_ITALIC = "ReportSans-BoldItalic"

# reportlab's file for each face
_FILES = {
    REGULAR: "Vera.ttf",
    BOLD: "VeraBd.ttf",
    ITALIC: "VeraIt.ttf",
    BOLD_ITALIC: "VeraBI.ttf",
}


@cache
def register_fonts() -> str:
    """Register the family with reportlab (once) and return the regular face's name.

    Paragraph markup's ``<b>`` and ``<i>`` map to the bold and italic faces.
    """
    import reportlab
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics

    folder = Path(reportlab.__file__).parent / "fonts"
    font_class = _embedded_font_class()
    for name, file in _FILES.items():
        pdfmetrics.registerFont(font_class(name, str(folder / file)))
    for bold, italic, name in (
        (0, 0, REGULAR),
        (1, 0, BOLD),
        (0, 1, ITALIC),
        (1, 1, BOLD_ITALIC),
    ):
        addMapping(REGULAR, bold, italic, name)
    return REGULAR


@cache
def _covered() -> frozenset[int]:
    """The characters every face of the family has a glyph for."""
    from reportlab.pdfbase import pdfmetrics

    register_fonts()
    faces = [set(pdfmetrics.getFont(name).face.charToGlyph) for name in _FILES]
    return frozenset(set.intersection(*faces))


@cache
def _not_covered() -> re.Pattern:
    """A character the family cannot draw (whitespace is the layout's to handle)."""
    drawn = "".join(re.escape(chr(c)) for c in sorted(_covered()) if c > 32)
    return re.compile(f"[^{drawn}\\s]")


def printable(text: str) -> str:
    """``text`` with each character the font cannot draw (a control character too) replaced by
    its unaccented form, or ``?``; whitespace is left for the layout to handle."""
    if not _not_covered().search(text):  # (nearly every text)
        return text
    covered = _covered()
    return _not_covered().sub(lambda m: _substitute(m[0], covered), text)


def _substitute(char: str, covered: frozenset[int]) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and all(ord(c) in covered for c in base):
        return base
    return "?"


_MAPPING = re.compile(r"^<[0-9A-F]{2}> <([0-9A-F]{4})>$")  # one code's entry in a ToUnicode map


@cache
def _embedded_font_class():
    from reportlab.pdfbase.ttfonts import TTFont

    class EmbeddedFont(TTFont):
        """A TrueType font whose ToUnicode maps only the codes in use, and which encodes text
        faster.

        reportlab fills a subset's unused codes (and the .notdef at code 0) with U+0000 in the
        ToUnicode map; PDF/UA allows no mapping to U+0000, so those entries are dropped.
        reportlab encodes text for a TrueType font one character at a time in Python; a line
        whose characters all have codes in the first subset already (nearly every line, once
        a few have been drawn) is encoded with one ``str.translate`` to the same bytes.
        """

        def splitString(self, text, doc, encoding="utf-8"):
            state = self.state.get(doc)
            if state is None or not text or not isinstance(text, str):
                return super().splitString(text, doc, encoding)
            known = getattr(state, "first_subset", None)
            if known is None or known[0] != len(state.assignments):
                codes = {chr(c): chr(n) for c, n in state.assignments.items() if n < 256}
                if " " in codes:
                    codes["\u00a0"] = codes[" "]  # reportlab prints a no-break space as a space
                others = re.compile("[^" + "".join(map(re.escape, codes)) + "]")
                known = state.first_subset = (len(state.assignments), others, str.maketrans(codes))
            _, others, table = known
            if others.search(text):  # a character not coded yet, or in a later subset
                return super().splitString(text, doc, encoding)
            return [(0, text.translate(table).encode("latin-1"))]

        def addObjects(self, doc):
            subsets = range(len(self.state[doc].subsets))  # (the state goes with the objects)
            names = [self.getSubsetInternalName(subset, doc)[1:] for subset in subsets]
            super().addObjects(doc)
            for name in names:
                font = doc.idToObject[name]
                cmap = doc.idToObject[font.ToUnicode.name]
                lines = cmap.content.splitlines()
                mapped = [line for line in lines if (m := _MAPPING.match(line)) and m[1] != "0000"]
                start = next(i for i, line in enumerate(lines) if line.endswith("beginbfchar"))
                end = lines.index("endbfchar")
                lines[start : end + 1] = [f"{len(mapped)} beginbfchar", *mapped, "endbfchar"]
                cmap.content = "\n".join(lines)

    return EmbeddedFont
