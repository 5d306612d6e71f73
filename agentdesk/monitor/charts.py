"""Chart geometry for the monitor's pictures: plain numbers in, shapes out.

The templates draw these shapes as inline SVG (monitor/_charts.html), so the charts need no
script, no build step and no chart library, render on the server the same way for the page
and for a live push, and scale with the page (each chart has a viewBox close to the width it
is shown at, so its 11–12 px text stays that size at 1366×768).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

# Seven colours, each at least 4.5:1 against white (WCAG 1.4.11 asks 3:1 for graphics), and
# told apart by the legend's order and each shape's tooltip, not by colour alone.
PALETTE = ("#1c5fd1", "#b3261e", "#1e7b34", "#8a5a00", "#6a3d9a", "#00687a", "#4a5568")
AVERAGE_COLOUR = "#1d2430"


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _series_key(series: str) -> tuple[int, str]:
    """Outcomes ("3 Busy", "100 Sale") by their id, then anything else by name."""
    head = series.split(" ", 1)[0]
    return (int(head), series) if head.isdigit() else (1 << 31, series)


def _preferred(series: str) -> int:
    """A palette slot that depends on the series alone: its outcome id, else its name."""
    head = series.split(" ", 1)[0]
    return int(head) if head.isdigit() else zlib.crc32(series.encode())


def stable_colours(series: Sequence[str]) -> dict[str, str]:
    """A colour per series that stays the same from one render to the next ("3 Busy" is not
    blue now and red after the next skip): each takes its preferred slot, or the next free one
    when another series of the same chart holds it (in id order, so the same set of series
    always gets the same colours)."""
    taken: set[str] = set()
    colours: dict[str, str] = {}
    for name in sorted(series, key=_series_key):
        start = _preferred(name)
        choice = colour(start)
        for step in range(len(PALETTE)):
            candidate = colour(start + step)
            if candidate not in taken:
                choice = candidate
                break
        taken.add(choice)
        colours[name] = choice
    return colours


# Row labels: a 12 px label is at most this wide per character (most are narrower), so the
# label area fits the longest label, up to LABEL_SHARE of the chart; a longer one is cut
# with "…" (the full name is in its tooltip and in the table of numbers).
LABEL_CHAR_WIDTH = 7.0
LABEL_SHARE = 0.45


def fit_label(label: str, room: float) -> str:
    most = max(1, int(room // LABEL_CHAR_WIDTH))
    return label if len(label) <= most else label[: most - 1].rstrip() + "…"


def nice_step(maximum: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 × 10ⁿ, at least 1) so `ticks` steps reach `maximum`."""
    if maximum <= 0:
        return 1
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * magnitude
        if step >= raw:
            return max(step, 1)
    return max(10 * magnitude, 1)  # pragma: no cover - the loop always returns


def scale_ticks(maximum: float, ticks: int = 4) -> list[float]:
    """0 and round values up to the first one at or above `maximum` (at least one step)."""
    step = nice_step(maximum, ticks)
    top = max(step, math.ceil(maximum / step) * step)
    count = round(top / step)
    return [round(i * step, 6) for i in range(count + 1)]


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float
    series: str
    colour: str
    label: str = ""  # what the bar stands for, for its tooltip

    @property
    def end_x(self) -> float:
        return self.x + self.width

    @property
    def middle_y(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True)
class LegendItem:
    series: str
    colour: str
    line: bool = False


@dataclass
class BarRow:
    label: str
    y: float  # baseline of the row's label text
    shown: str = ""  # the label as it fits the label area
    bars: list[Bar] = field(default_factory=list)
    total: float = 0
    total_x: float = 0


@dataclass
class RowChart:
    """Horizontal bars, one row per queue or agent: stacked (segments add up) or grouped
    (one thin bar per series)."""

    width: float
    height: float
    label_width: float
    stacked: bool
    rows: list[BarRow]
    legend: list[LegendItem]
    ticks: list[Tick]
    axis_y: float
    empty: bool
    table: list[tuple[str, list[float]]]  # per row, its values in legend order


def row_chart(
    rows: Sequence[tuple[str, Sequence[tuple[str, float]]]],
    *,
    stacked: bool,
    series_order: Sequence[str] | None = None,
    width: float = 420,
    label_width: float = 130,
    bar_height: float = 14,
) -> RowChart:
    """Bars for `rows` = [(row label, [(series, value), …]), …].

    Series keep one colour across rows, in `series_order`; without one (outcomes), in id
    order with colours that do not move between renders (`stable_colours`). The label area
    grows to fit the longest row label (up to LABEL_SHARE of the width)."""
    order = list(series_order or [])
    for _, values in rows:
        for series, _ in values:
            if series not in order:
                order.append(series)
    if series_order:
        colours = {series: colour(i) for i, series in enumerate(order)}
    else:
        order.sort(key=_series_key)
        colours = stable_colours(order)
    longest = max((len(label) for label, _ in rows), default=0)
    label_width = min(max(label_width, longest * LABEL_CHAR_WIDTH + 10), width * LABEL_SHARE)
    if stacked:
        largest = max((sum(v for _, v in values) for _, values in rows), default=0)
    else:
        largest = max((v for _, values in rows for _, v in values), default=0)
    scale_values = scale_ticks(largest)
    top = scale_values[-1]
    plot_left, plot_right = label_width, width - 34  # room for the total after a bar
    plot_width = plot_right - plot_left
    gap = 8
    per_row = bar_height if stacked else (bar_height * 0.75 + 2) * max(len(order), 1)
    out: list[BarRow] = []
    y = 4.0
    for label, values in rows:
        row = BarRow(label=label, y=y + per_row / 2 + 4, shown=fit_label(label, label_width - 10))
        by_series = dict(values)
        x = plot_left
        offset = y
        for series in order:
            value = by_series.get(series, 0)
            length = plot_width * value / top if top else 0
            if stacked:
                if value:
                    row.bars.append(
                        Bar(x, y, length, bar_height, value, series, colours[series], label)
                    )
                x += length
            else:
                height = bar_height * 0.75
                row.bars.append(
                    Bar(plot_left, offset, length, height, value, series, colours[series], label)
                )
                offset += height + 2
        row.total = sum(by_series.get(s, 0) for s in order)
        row.total_x = (
            x if stacked else plot_left + max((b.width for b in row.bars), default=0)
        ) + 4
        out.append(row)
        y += per_row + gap
    axis_y = y
    ticks = [Tick(plot_left + plot_width * v / top, _number(v)) for v in scale_values]
    return RowChart(
        width=width,
        height=axis_y + 18,
        label_width=label_width,
        stacked=stacked,
        rows=out,
        legend=[LegendItem(s, colours[s]) for s in order],
        ticks=ticks,
        axis_y=axis_y,
        empty=not any(v for _, values in rows for _, v in values),
        table=[(label, [dict(values).get(s, 0) for s in order]) for label, values in rows],
    )


@dataclass
class HourChart:
    """Per hour of the day: bars for one period, a line for a comparison average."""

    width: float
    height: float
    plot_left: float
    plot_top: float
    plot_bottom: float
    plot_right: float
    bars: list[Bar]
    line_points: str  # SVG polyline points
    markers: list[tuple[float, float, float]]  # x, y, value of each hour on the line
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    legend: list[LegendItem]
    empty: bool


def hour_chart(
    counts: Sequence[float],
    average: Sequence[float],
    *,
    counts_label: str,
    average_label: str,
    width: float = 860,
    height: float = 170,
) -> HourChart:
    """24 bars (`counts` per hour) and a line (`average` per hour) on one scale."""
    if len(counts) != 24 or len(average) != 24:
        raise ValueError("hour_chart needs 24 values per series, one per hour of the day")
    plot_left, plot_right, plot_top, plot_bottom = 34.0, width - 8, 8.0, height - 22
    plot_height = plot_bottom - plot_top
    y_values = scale_ticks(max([*counts, *average, 0]))
    top = y_values[-1]
    slot = (plot_right - plot_left) / 24

    def y_of(value: float) -> float:
        return plot_bottom - plot_height * value / top

    bars = []
    for hour, value in enumerate(counts):
        y = y_of(value)
        bars.append(
            Bar(
                plot_left + hour * slot + slot * 0.15,
                y,
                slot * 0.7,
                plot_bottom - y,
                value,
                counts_label,
                PALETTE[0],
                f"{hour:02d}:00",
            )
        )
    markers = [
        (plot_left + hour * slot + slot / 2, y_of(value), round(value, 1))
        for hour, value in enumerate(average)
    ]
    return HourChart(
        width=width,
        height=height,
        plot_left=plot_left,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        plot_right=plot_right,
        bars=bars,
        line_points=" ".join(f"{x:.1f},{y:.1f}" for x, y, _ in markers),
        markers=markers,
        x_ticks=[Tick(plot_left + h * slot + slot / 2, f"{h:02d}") for h in range(0, 24, 2)],
        y_ticks=[Tick(y_of(v), _number(v)) for v in y_values],
        legend=[
            LegendItem(counts_label, PALETTE[0]),
            LegendItem(average_label, AVERAGE_COLOUR, line=True),
        ],
        empty=not any(counts) and not any(average),
    )
