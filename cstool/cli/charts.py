"""A report's ``Chart`` drawn: as SVG (pygal, drawn here, so a page needs nothing from the
network when it is viewed) and as a native Excel chart (xlsxwriter)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cstool.core.i18n import _

# The fonts of pages and charts: a Chinese one wherever the reader's system has one.
FONTS = 'system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif'

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
MOST_BARS = 30  # past this many x values a bar chart is unreadable: the first ones are drawn


@dataclass(frozen=True)
class Plot:
    """A chart's data as drawn: labels along x, and one list of values per series."""

    type: str
    x_labels: list[str]
    series: dict[str, list[float | None]]
    target: float | None


def plot_of(chart, rows: Sequence[Mapping[str, Any]], heading, named=lambda value: value) -> Plot | None:
    """The series of ``chart`` from ``rows`` (None when there is nothing to draw).
    ``heading(column)`` is a column's heading in the chosen language, ``named(value)`` a
    value as a person reads it (an id's display name)."""
    from cstool.cli.output import cell

    x_labels: list[str] = []
    series: dict[str, dict[str, float | None]] = {}
    for row in rows:
        x = cell(named(row.get(chart.x)), None) or "—"
        if x not in x_labels:
            if len(x_labels) >= MOST_BARS and chart.type != "line":
                continue
            x_labels.append(x)
        for column in chart.y:
            name = heading(column)
            if chart.series is not None:
                split = cell(named(row.get(chart.series)), None)
                name = split if len(chart.y) == 1 else f"{split} {name}"
            value = row.get(column)
            series.setdefault(name, {})[x] = value if isinstance(value, int | float) else None
    drawn = {
        name: points
        for name, values in series.items()
        if any(points := [values.get(x) for x in x_labels])  # a series all zero or blank says nothing
    }
    if not x_labels or not any(v is not None for values in drawn.values() for v in values):
        return None
    return Plot(chart.type, x_labels, drawn, chart.target)


def svg(plot: Plot, title: str) -> str:
    """The plot as an SVG element to put inside a page (no XML prolog, no external script)."""
    import pygal
    from pygal.style import Style

    style = Style(
        font_family=FONTS,
        background="white",
        plot_background="white",
        colors=COLOURS,
        **(
            {"major_guide_stroke_color": "#d62728", "major_guide_stroke_dasharray": "6,3"}
            if plot.target is not None
            else {}
        ),
        title_font_size=16,
        label_font_size=12,
        major_label_font_size=12,
        legend_font_size=12,
        value_font_size=11,
    )
    config: dict[str, Any] = {
        "style": style,
        "js": [],  # pygal's tooltips come from the network: left out, the chart is whole without them
        "disable_xml_declaration": True,
        "width": 860,
        "height": 380,
        "legend_at_bottom": True,
        "truncate_label": 18,
        "truncate_legend": 30,
        "x_label_rotation": 30 if len(plot.x_labels) > 8 else 0,
        # a month of days: every seventh labelled, the rest ticks
        "x_labels_major_every": 7 if len(plot.x_labels) > 16 else None,
        "show_minor_x_labels": len(plot.x_labels) <= 16,
        "print_values": plot.type in ("bar", "stacked") and len(plot.x_labels) * len(plot.series) <= 24,
        "print_values_position": "top",
        "title": title,
    }
    if plot.target is not None:  # the target is a major guide: a dashed red line across
        top = max([plot.target, *(v for values in plot.series.values() for v in values if v is not None)])
        steps = [round(top * i / 5, 1) for i in range(6) if round(top * i / 5, 1) != plot.target]
        config["y_labels"] = [*steps, {"label": _("target {value}").format(value=plot.target), "value": plot.target}]
        config["y_labels_major"] = [plot.target]
        config["show_minor_y_labels"] = True
    if plot.type == "gauge":
        chart = pygal.SolidGauge(inner_radius=0.7, half_pie=True, **{**config, "print_values": False})
        for label, value in zip(plot.x_labels, next(iter(plot.series.values()))):
            if value is not None:
                chart.add(label, [{"value": value, "max_value": 100}])
        return chart.render(is_unicode=True)
    chart = {"line": pygal.Line, "bar": pygal.Bar, "stacked": pygal.StackedBar}[plot.type](**config)
    chart.x_labels = plot.x_labels
    for name, values in plot.series.items():
        chart.add(name, values)
    return chart.render(is_unicode=True)


def add_to_sheet(book, sheet, plot: Plot, title: str, first_row: int, anchor: str) -> None:
    """A native Excel chart of ``plot`` on ``sheet``: its data written from ``first_row``
    (under the table), the chart placed at ``anchor``."""
    target_name = _("target {value}").format(value=plot.target)
    columns = dict(plot.series)
    if plot.target is not None:
        columns[target_name] = [plot.target] * len(plot.x_labels)
    sheet.write_string(first_row, 0, title)
    sheet.write_row(first_row + 1, 0, ["", *columns])
    for offset, x in enumerate(plot.x_labels, start=first_row + 2):
        sheet.write_string(offset, 0, x)
        for column, values in enumerate(columns.values(), start=1):
            value = values[offset - first_row - 2]
            if value is None:
                sheet.write_blank(offset, column, None)
            else:
                sheet.write_number(offset, column, value)
    last = first_row + 1 + len(plot.x_labels)

    def series(column: int) -> dict:
        return {
            "name": [sheet.name, first_row + 1, column],
            "categories": [sheet.name, first_row + 2, 0, last, 0],
            "values": [sheet.name, first_row + 2, column, last, column],
        }

    excel_type = {
        "line": {"type": "line"},
        "bar": {"type": "column"},
        "stacked": {"type": "column", "subtype": "stacked"},
    }
    chart = book.add_chart(excel_type.get(plot.type, {"type": "column"}))
    labelled = plot.type != "line" and len(plot.x_labels) <= 12
    for column in range(1, len(plot.series) + 1):
        chart.add_series({**series(column), "data_labels": {"value": labelled}})
    if plot.target is not None:  # a line across the columns
        line = book.add_chart({"type": "line"})
        line.add_series({**series(len(columns)), "line": {"color": "#D62728", "dash_type": "dash"}})
        chart.combine(line)
    chart.set_title({"name": title})
    chart.set_size({"width": 720, "height": 340})
    chart.set_legend({"position": "bottom"})
    sheet.insert_chart(anchor, chart)
