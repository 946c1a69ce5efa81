"""The referral reports' charts as server-side SVG, with no JavaScript: this module says
where every bar, point and label goes; templates/referrals/_report_bar_chart.html and
_report_line_chart.html draw it, with a title and a description in words, and the report
page follows each chart with a table of the same numbers.

Series are told apart by more than colour: bars by fill pattern (solid, diagonal lines,
cross-hatching), lines by style and marker (solid with dots, dashed with squares), and
every bar and point carries its number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from joinedup.referrals.reports import ReferralReport

PLOT_LEFT = 48  # room for the y axis numbers
PLOT_RIGHT_MARGIN = 24
LEGEND_ROW = 20
LEGEND_HEIGHT = 3 * LEGEND_ROW + 8  # a row for each series (three at most)
PLOT_TOP = LEGEND_HEIGHT + 20  # room for the numbers above the tallest bar
PLOT_HEIGHT = 200
AXIS_LABELS_HEIGHT = 44  # month, and the year under January and the first month
MONTH_WIDTH = 64
BAR_WIDTH = 16
MIN_WIDTH = 560  # room for the legend


@dataclass(frozen=True)
class GridLine:
    y: int
    label: str


@dataclass(frozen=True)
class MonthLabel:
    x: int
    month: str
    year: str  # only under January and the first month shown


@dataclass(frozen=True)
class Bar:
    series: str
    x: int
    y: int
    width: int
    height: int
    value: int
    label_x: int


@dataclass(frozen=True)
class Point:
    x: int
    y: int
    value: float | int


@dataclass(frozen=True)
class LegendEntry:
    series: str
    x: int
    y: int
    text: str


@dataclass(frozen=True)
class LineSeries:
    series: str
    path: str
    points: list[Point]


@dataclass(frozen=True)
class Chart:
    """A chart's frame (the same for bars and lines) and what is drawn in it."""

    id: str
    title: str
    description: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    baseline: int
    month_label_y: int
    year_label_y: int
    grid: list[GridLine]
    months: list[MonthLabel]
    legend: list[LegendEntry]
    bars: list[Bar]
    lines: list[LineSeries]


def axis_top(highest: float) -> tuple[int, int]:
    """A round top for the y axis at or above ``highest``, and the step between grid lines
    (1, 2 or 5 times a power of ten; at most five steps)."""
    if highest <= 0:
        return 5, 1
    power = 1
    while True:
        for multiple in (1, 2, 5):
            step = multiple * power
            if math.ceil(highest / step) <= 5:
                return step * math.ceil(highest / step), step
        power *= 10


def _y(value: float, top: int) -> int:
    return PLOT_TOP + PLOT_HEIGHT - round(value * PLOT_HEIGHT / top)


def _frame(
    *, chart_id: str, title: str, description: str, months: Sequence[date], highest: float
) -> Chart:
    top, step = axis_top(highest)
    plot_width = MONTH_WIDTH * len(months)
    baseline = PLOT_TOP + PLOT_HEIGHT
    return Chart(
        id=chart_id,
        title=title,
        description=description,
        width=max(PLOT_LEFT + plot_width + PLOT_RIGHT_MARGIN, MIN_WIDTH),
        height=baseline + AXIS_LABELS_HEIGHT,
        plot_left=PLOT_LEFT,
        plot_right=PLOT_LEFT + plot_width,
        baseline=baseline,
        month_label_y=baseline + 18,
        year_label_y=baseline + 34,
        grid=[GridLine(_y(value, top), str(value)) for value in range(0, top + 1, step)],
        months=[
            MonthLabel(
                x=PLOT_LEFT + MONTH_WIDTH * index + MONTH_WIDTH // 2,
                month=f"{month:%b}",
                year=f"{month:%Y}" if index == 0 or month.month == 1 else "",
            )
            for index, month in enumerate(months)
        ],
        legend=[],
        bars=[],
        lines=[],
    )


def _legend(entries: Sequence[tuple[str, str]]) -> list[LegendEntry]:
    """The legend above the plot, an entry to a row."""
    return [
        LegendEntry(series, 10, 16 + LEGEND_ROW * index, text)
        for index, (series, text) in enumerate(entries)
    ]


def _count(value: int, one: str, many: str) -> str:
    return f"{value} {one if value == 1 else many}"


def volume_chart(report: ReferralReport) -> Chart:
    """Grouped bars, a group per month: referrals received (or, for a partnership, all
    its referrals), accepted and declined."""
    series = [
        ("received", f"{report.received_label} (solid)"),
        ("accepted", "Accepted (diagonal lines)"),
        ("declined", "Declined (cross-hatched)"),
    ]
    values = [(row.in_scope, row.accepted, row.declined) for row in report.rows]
    busiest = max(report.rows, key=lambda row: row.in_scope)
    total = report.total
    noun = "referrals" if report.is_partnership else "referrals received"
    description = (
        f"Bar chart, {report.period}: for each month, {noun}, accepted and declined. "
        f"In all, {_count(total.in_scope, 'referral', 'referrals')}, "
        f"{total.accepted} accepted and {total.declined} declined."
    )
    if busiest.in_scope:
        description += f" The most in one month was {busiest.in_scope}, in {busiest.label}."
    highest = max((max(triple) for triple in values), default=0)
    chart = _frame(
        chart_id="volume-chart",
        title=f"Referrals each month, {report.period}",
        description=description,
        months=[row.month for row in report.rows if row.month],
        highest=highest,
    )
    top, _step = axis_top(highest)
    group_left = (MONTH_WIDTH - BAR_WIDTH * len(series)) // 2
    bars = []
    for index, triple in enumerate(values):
        left = PLOT_LEFT + MONTH_WIDTH * index + group_left
        for position, ((name, _label), value) in enumerate(zip(series, triple, strict=True)):
            y = _y(value, top)
            x = left + BAR_WIDTH * position
            bars.append(Bar(name, x, y, BAR_WIDTH, chart.baseline - y, value, x + BAR_WIDTH // 2))
    return replace(chart, legend=_legend(series), bars=bars)


def _path(points: Sequence[Point | None]) -> str:
    """Join neighbouring months that both have a value; a month without one leaves a gap."""
    commands: list[str] = []
    joined = False
    for point in points:
        if point is None:
            joined = False
            continue
        commands.append(f"{'L' if joined else 'M'}{point.x} {point.y}")
        joined = True
    return " ".join(commands)


def _days(value: float | int | None, unit: str) -> str:
    return "not known" if value is None else f"{value} {unit}{'' if value == 1 else 's'}"


def times_chart(report: ReferralReport) -> Chart:
    """Lines, a point per month: the median working days to acknowledge a referral and
    the median calendar days to start work."""
    series = [
        ("acknowledge", "Median working days to acknowledge (solid line, dots)"),
        ("start", "Median days to start (dashed line, squares)"),
    ]
    medians = [(row.median_acknowledge, row.median_start) for row in report.rows]
    highest = max((value for pair in medians for value in pair if value is not None), default=0)
    total = report.total
    description = (
        f"Line chart, {report.period}: for each month, the median number of working days "
        "from sending to acknowledging a referral, and the median number of days from "
        "sending to starting work; months with none are left out. Over the whole period: "
        f"{_days(total.median_acknowledge, 'working day')} to acknowledge "
        f"({_count(total.acknowledged, 'referral', 'referrals')} acknowledged) and "
        f"{_days(total.median_start, 'day')} to start "
        f"({_count(total.started, 'referral', 'referrals')} started)."
    )
    chart = _frame(
        chart_id="times-chart",
        title=f"Median time to acknowledge and to start, {report.period}",
        description=description,
        months=[row.month for row in report.rows if row.month],
        highest=highest,
    )
    top, _step = axis_top(highest)
    lines = []
    for position, (name, _label) in enumerate(series):
        points: list[Point | None] = []
        for index, pair in enumerate(medians):
            value = pair[position]
            x = PLOT_LEFT + MONTH_WIDTH * index + MONTH_WIDTH // 2
            points.append(None if value is None else Point(x, _y(value, top), value))
        lines.append(LineSeries(name, _path(points), [p for p in points if p is not None]))
    return replace(chart, legend=_legend(series), lines=lines)
