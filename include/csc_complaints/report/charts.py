"""Bar charts for the report, drawn with reportlab.graphics (PDF and, as SVG, the HTML).

Horizontal bars, one per series (this year, last year) for each category, so long team and
issue names read across on the left. Each bar carries its value, so the chart can be read
without the axis; every number is also in the text or a table beside it.
"""

from __future__ import annotations

import math

from csc_complaints.report.document import Chart
from csc_complaints.report.wording import wording

FONT = "Helvetica"  # the SVG's (a browser's own sans); the PDF passes its embedded font
LABEL_SIZE = 8  # points in the PDF
# In the HTML the chart is drawn at its display size in CSS pixels (its viewBox), with text as
# large as the page's body text (16px): it is never scaled down on a normal screen.
HTML_WIDTH = 760  # the page's column (52rem less its padding) is 784px
HTML_LABEL_SIZE = 16
# This year dark blue, last year light blue: told apart in greyscale too (a contrast of 3.8:1
# between them), and each at least 3:1 against the white page (WCAG 1.4.11, non-text contrast).
SERIES_COLOURS = ("#003078", "#5694ca")
# The SVG's fonts: Vera's metrics, which the layout measured with.
SVG_FONT_FAMILY = "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, sans-serif"
BAR_HEIGHT = 9  # at LABEL_SIZE; everything scales with the label size
GROUP_GAP = 8


def _nice_max(value: int) -> tuple[int, int]:
    """An axis maximum just above ``value`` and a whole-number step giving about five ticks."""
    if value <= 0:
        return 1, 1
    raw = value / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    top = step * (math.ceil(value / step) + (1 if value % step == 0 else 0))
    return top, step


def _wrap(label: str, width: float, font: str, size: float = LABEL_SIZE) -> str:
    """Break a category label onto lines no wider than ``width`` points."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, line = [], ""
    for word in label.split():
        candidate = f"{line} {word}".strip()
        if line and stringWidth(candidate, font, size) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    return "\n".join(lines)


LINE_PLOT_HEIGHT = 150


def _line_drawing(chart: Chart, width: float, font: str, size: float = LABEL_SIZE):
    """A line chart: the categories (years) across, one line per series, each point labelled.
    A point with nothing to measure (None) is left out of its line. Text at ``size``; the
    plot's margins and height scale with it."""
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.lineplots import LinePlot
    from reportlab.graphics.shapes import Drawing
    from reportlab.graphics.widgets.markers import makeMarker
    from reportlab.lib import colors

    palette = (*SERIES_COLOURS, "#00703c", "#d4351c", "#912b88")
    scale = size / LABEL_SIZE
    legend_height = (14 * len(chart.series) + 6) * scale
    axis_height = 20 * scale
    height = (LINE_PLOT_HEIGHT + 10) * scale + legend_height + axis_height
    drawing = Drawing(width, height, initialFontName=font)
    plot = LinePlot()
    plot.x = 40 * scale
    plot.y = axis_height
    plot.width = width - plot.x - 30 * scale
    plot.height = LINE_PLOT_HEIGHT * scale
    plot.data = [
        [(i, v) for i, v in enumerate(values) if v is not None] or [(0, 0)]
        for _, values in chart.series
    ]
    present = [v for _, values in chart.series for v in values if v is not None]
    top, step = _nice_max(math.ceil(max(present, default=0)))
    plot.yValueAxis.valueMin = 0
    plot.yValueAxis.valueMax = top
    plot.yValueAxis.valueStep = step
    plot.yValueAxis.labels.fontName = font
    plot.yValueAxis.labels.fontSize = size
    plot.yValueAxis.visibleGrid = True
    plot.yValueAxis.gridStrokeColor = colors.HexColor("#dddddd")
    plot.xValueAxis.valueMin = -0.3
    plot.xValueAxis.valueMax = len(chart.categories) - 0.7
    plot.xValueAxis.valueSteps = list(range(len(chart.categories)))
    plot.xValueAxis.labels.fontName = font
    plot.xValueAxis.labels.fontSize = size
    categories = chart.categories
    plot.xValueAxis.labelTextFormat = lambda i: categories[int(round(i))]
    for index, _series in enumerate(chart.series):
        line = plot.lines[index]
        line.strokeColor = colors.HexColor(palette[index % len(palette)])
        line.strokeWidth = 1.5 * scale
        line.symbol = makeMarker("FilledCircle", size=4 * scale)
        line.symbol.fillColor = line.strokeColor
    drawing.add(plot)

    legend = Legend()
    legend.x = plot.x
    legend.y = height - 4 * scale
    legend.alignment = "right"
    legend.columnMaximum = len(chart.series)
    legend.dx = 8 * scale
    legend.dy = 8 * scale
    legend.deltay = 10 * scale
    legend.fontName = font
    legend.fontSize = size
    legend.boxAnchor = "nw"
    legend.colorNamePairs = [
        (colors.HexColor(palette[i % len(palette)]), label)
        for i, (label, _) in enumerate(chart.series)
    ]
    drawing.add(legend)
    return drawing


def drawing_for(chart: Chart, width: float, font: str = FONT, size: float = LABEL_SIZE):
    """A reportlab Drawing of ``chart``, ``width`` units wide and as tall as it needs, its
    text in ``font`` at ``size`` (bars, gaps and margins scale with it), with the axes' titles
    on the bottom line: the categories' under their labels, the values' under the axis."""
    if chart.style == "line":
        return _line_drawing(chart, width, font, size)
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.pdfbase.pdfmetrics import stringWidth

    scale = size / LABEL_SIZE
    widest = max(stringWidth(c, font, size) for c in chart.categories)
    label_width = min(170.0 * scale, widest + 6 * scale)
    if chart.category_title:
        label_width = max(label_width, stringWidth(chart.category_title, font, size) + 6 * scale)
    labels = [_wrap(c, label_width - 6 * scale, font, size) for c in chart.categories]
    lines = max(label.count("\n") + 1 for label in labels)
    series_count = len(chart.series)
    bar_height = BAR_HEIGHT * scale
    gap = GROUP_GAP * scale
    group = max(series_count * bar_height, lines * (size + scale)) + gap
    plot_height = group * len(chart.categories)
    legend_height = 18 * scale
    titled = bool(chart.value_title or chart.category_title)
    axis_height = 18 * scale + (size + 4 * scale if titled else 0)
    height = plot_height + legend_height + axis_height + 6 * scale

    drawing = Drawing(width, height, initialFontName=font)  # (else its state starts in Helvetica)
    bars = HorizontalBarChart()
    bars.x = label_width + 4 * scale
    bars.y = axis_height
    bars.width = width - bars.x - 24 * scale
    bars.height = plot_height
    # With the categories reversed (first at the top), reportlab also stacks each group's bars
    # bottom-up; the series go in reversed so this year's bar sits above last year's.
    ordered = list(reversed(chart.series))
    bars.data = [list(values) for _, values in ordered]
    bars.barWidth = bar_height
    bars.groupSpacing = gap
    bars.barSpacing = 0
    top, step = _nice_max(
        max((v for _, values in chart.series for v in values if v is not None), default=0)
    )
    bars.valueAxis.valueMin = 0
    bars.valueAxis.valueMax = top
    bars.valueAxis.valueStep = step
    bars.valueAxis.labels.fontName = font
    bars.valueAxis.labels.fontSize = size
    bars.valueAxis.labels.dy = -2 * scale
    bars.valueAxis.labelTextFormat = "%d"
    bars.valueAxis.visibleGrid = True
    bars.valueAxis.gridStrokeColor = colors.HexColor("#dddddd")
    bars.categoryAxis.categoryNames = labels
    bars.categoryAxis.reverseDirection = True  # first category at the top
    bars.categoryAxis.labels.fontName = font
    bars.categoryAxis.labels.fontSize = size
    bars.categoryAxis.labels.boxAnchor = "e"
    bars.categoryAxis.labels.textAnchor = "end"
    bars.categoryAxis.labels.dx = -4 * scale
    bars.categoryAxis.labels.leading = size + scale
    bars.barLabelFormat = chart.value_format
    bars.barLabels.fontName = font
    bars.barLabels.fontSize = size - scale
    bars.barLabels.boxAnchor = "w"
    bars.barLabels.dx = 3 * scale
    for index, colour in enumerate(reversed(SERIES_COLOURS[:series_count])):
        bars.bars[index].fillColor = colors.HexColor(colour)
        bars.bars[index].strokeColor = None
    drawing.add(bars)

    if chart.value_title:
        drawing.add(
            String(
                bars.x + bars.width / 2,
                2 * scale,
                chart.value_title,
                fontName=font,
                fontSize=size,
                textAnchor="middle",
            )
        )
    if chart.category_title:  # under the category labels, level with the value axis's title
        drawing.add(
            String(
                bars.x - 4 * scale,
                2 * scale,
                chart.category_title,
                fontName=font,
                fontSize=size,
                textAnchor="end",
            )
        )

    legend = Legend()
    legend.x = bars.x
    legend.y = height - 4 * scale
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 70 * scale
    legend.dx = 8 * scale
    legend.dy = 8 * scale
    legend.fontName = font
    legend.fontSize = size
    legend.boxAnchor = "nw"
    legend.colorNamePairs = [
        (colors.HexColor(SERIES_COLOURS[i]), label) for i, (label, _) in enumerate(chart.series)
    ]
    drawing.add(legend)
    return drawing


def split_to_fit(chart: Chart, width: float, max_height: float, font: str = FONT) -> list[Chart]:
    """``chart`` as one or more charts, each drawn no taller than ``max_height`` points (in
    ``font``), so a council with many teams gets its chart over several pages rather than a
    layout error."""
    if (
        chart.style == "line"  # a fixed height: five years always fit
        or len(chart.categories) <= 1
        or drawing_for(chart, width, font).height <= max_height
    ):
        return [chart]
    half = len(chart.categories) // 2
    parts = []
    for start, stop in ((0, half), (half, len(chart.categories))):
        part = Chart(
            title=chart.title,
            categories=chart.categories[start:stop],
            series=tuple((label, values[start:stop]) for label, values in chart.series),
            alt=chart.alt,
            category_title=chart.category_title,
            value_title=chart.value_title,
            value_format=chart.value_format,
        )
        parts += split_to_fit(part, width, max_height, font)
    if len(parts) > 1:
        words = wording("document")
        parts = [
            Chart(
                words.text("chart_part_title", p.title, n, len(parts)),
                p.categories,
                p.series,
                p.alt,
                category_title=p.category_title,
                value_title=p.value_title,
                value_format=p.value_format,
            )
            for n, p in enumerate(parts, start=1)
        ]
    return parts


def svg_for(chart: Chart, width: float = HTML_WIDTH) -> str:
    """The chart as an SVG document (for the HTML report), drawn at its display size in CSS
    pixels with text of the body's size; its ``viewBox`` lets a narrower screen scale it.

    It is laid out with the PDF's typeface, Bitstream Vera Sans, and asks the browser for the
    same metrics (DejaVu Sans is Vera extended; Verdana's widths are close), so a label's text
    fits the room measured for it."""
    from reportlab.graphics import renderSVG

    from csc_complaints.report.pdf.fonts import register_fonts

    font = register_fonts()
    svg = renderSVG.drawToString(drawing_for(chart, width, font, HTML_LABEL_SIZE))
    return svg.replace(font, SVG_FONT_FAMILY)
