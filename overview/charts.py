"""The overview's charts as geometry for SVG drawn by the templates (`overview/_bars.html`,
`overview/_ranges.html`): no JavaScript, no chart library. Every bar carries its value as text,
and each series has a pattern as well as a colour, named in a legend drawn with the same pattern,
so colour is never the only way to tell them apart."""

import math

LABEL_WIDTH = 250
PLOT_WIDTH = 420
VALUE_WIDTH = 90  # room for the value written after the longest bar
BAR = 16
BAR_GAP = 3
GROUP_GAP = 16
TICKS_HEIGHT = 28
LEGEND_ROW = 24
# One per series, in order: a colour and a pattern drawn over it (templates/overview/_fills.html).
FILLS = ["solid", "hatch", "dots", "cross", "stripes"]


def nice_ticks(largest: float) -> list[int]:
    """0 and up to five round, whole steps up to at least `largest` (schools, visits, days)."""
    if largest <= 0:
        return [0, 1]
    raw = largest / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = max(1, round(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)))
    count = math.ceil(largest / step)
    return [n * step for n in range(count + 1)]


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _legend(series: list[str]) -> tuple[list[dict], float]:
    """Swatches across the top, wrapped to the chart's width; and the height they take. A single
    series needs none: the chart's title names it."""
    if len(series) < 2:
        return [], 0
    items, x, row = [], 0, 0
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    for i, label in enumerate(series):
        span = 24 + 8 * len(label) + 20
        if x and x + span > width:
            x, row = 0, row + 1
        items.append({"x": x, "y": row * LEGEND_ROW, "label": label, "fill": FILLS[i]})
        x += span
    return items, (row + 1) * LEGEND_ROW


def bars(
    rows: list[tuple[str, list]],
    series: list[str],
    *,
    ticks: list[tuple[float, str]] | None = None,
    unit: str = "",
) -> dict:
    """Grouped horizontal bars: one group per row (its label, then a value per series).

    `ticks` (value, label) fix the scale, as for ratings; by default it runs from 0 to a round
    number above the largest value. A missing value (None) draws no bar and says "none".
    """
    legend, legend_height = _legend(series)
    values = [v for _, vs in rows for v in vs if v is not None]
    if ticks is None:
        ticks = [(t, _number(t)) for t in nice_ticks(max(values, default=0))]
    top_value = ticks[-1][0] or 1
    top = legend_height + TICKS_HEIGHT
    group_height = len(series) * (BAR + BAR_GAP) - BAR_GAP
    groups = []
    for i, (label, row_values) in enumerate(rows):
        y = top + i * (group_height + GROUP_GAP)
        bars_ = []
        for j, value in enumerate(row_values):
            width = 0 if value is None else round(value / top_value * PLOT_WIDTH, 1)
            text = "none" if value is None else f"{_number(value)}{unit}"
            bars_.append(
                {
                    "x": LABEL_WIDTH,
                    "y": y + j * (BAR + BAR_GAP),
                    "width": width,
                    "height": BAR,
                    "fill": FILLS[j],
                    "text_x": LABEL_WIDTH + width + 6,
                    "text_y": y + j * (BAR + BAR_GAP) + BAR - 3,
                    "text": text,
                    "title": f"{label}, {series[j]}: {text}",
                }
            )
        groups.append({"label": label, "y": y + group_height / 2 + 5, "bars": bars_})
    height = top + len(rows) * (group_height + GROUP_GAP)
    summary = "; ".join(
        f"{group['label']}: "
        + ", ".join(
            b["text"] if len(series) == 1 else f"{name} {b['text']}"
            for name, b in zip(series, group["bars"], strict=True)
        )
        for group in groups
    )
    return {
        "summary": summary or "nothing to show yet",
        "width": LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH,
        "height": height,
        "label_width": LABEL_WIDTH,
        "legend": legend,
        "ticks_y": legend_height + TICKS_HEIGHT - 10,
        "plot_top": top - 4,
        "ticks": [
            {"x": round(LABEL_WIDTH + value / top_value * PLOT_WIDTH, 1), "text": text}
            for value, text in ticks
        ],
        "groups": groups,
    }


def ranges(rows: list[tuple[str, dict | None]], *, unit: str) -> dict:
    """For each row, a line from the shortest to the longest with a diamond at the median, and
    the three written out; a row with no figures (None) says so."""
    largest = max((r["longest"] for _, r in rows if r), default=0)
    ticks = nice_ticks(largest)
    top_value = ticks[-1] or 1
    row_height = 44

    def x(value):
        return round(LABEL_WIDTH + value / top_value * PLOT_WIDTH, 1)

    items = []
    for i, (label, figures) in enumerate(rows):
        y = TICKS_HEIGHT + 14 + i * row_height
        item = {"label": label, "y": y, "label_y": y + 5}
        if figures:
            item.update(
                low=x(figures["shortest"]),
                high=x(figures["longest"]),
                median=x(figures["median"]),
                text=(
                    f"median {_number(figures['median'])}{unit}, "
                    f"{_number(figures['shortest'])} to {_number(figures['longest'])}{unit}"
                ),
            )
        else:
            item["text"] = "none decided"
        item["text_y"] = y + 24
        items.append(item)
    return {
        "summary": "; ".join(f"{item['label']}: {item['text']}" for item in items),
        "width": LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH,
        "height": TICKS_HEIGHT + len(rows) * row_height + 10,
        "label_width": LABEL_WIDTH,
        "ticks_y": TICKS_HEIGHT - 10,
        "plot_top": TICKS_HEIGHT - 4,
        "ticks": [{"x": x(t), "text": _number(t)} for t in ticks],
        "rows": items,
    }
