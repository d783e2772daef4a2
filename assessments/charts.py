"""Each element's self-rating beside the mentor's (and the previous cycle's, and the authority's
average as a marker across the row), as geometry for an SVG drawn by the template. The same
figures are shown in a table beside it."""

import textwrap

from .models import Rating

ROW_HEIGHT = 54
BAR_HEIGHT = 14
LABEL_WIDTH = 260
# A label is written in up to two lines of at most this many characters, which at the labels'
# 15px fit in the label column (about 7.5px a character), rather than run off the left edge.
LABEL_CHARS = 30
LINE_HEIGHT = 17
SCALE_WIDTH = 360
TOP = 40
SERIES = [
    ("school", "School's rating", "bar--school"),
    ("mentor", "Mentor's rating", "bar--mentor"),
    ("previous", "Previous cycle", "bar--previous"),
]


def rating_chart(rows, with_mentor=True, with_previous=False, with_average=False):
    wanted = {"school", "mentor" if with_mentor else None, "previous" if with_previous else None}
    series = [s for s in SERIES if s[0] in wanted]
    step = SCALE_WIDTH / (len(Rating) - 1)
    bars = []
    for i, row in enumerate(rows):
        y = TOP + i * ROW_HEIGHT
        for j, (key, label, css) in enumerate(series):
            value = row[key]
            bars.append(
                {
                    "x": LABEL_WIDTH,
                    "y": y + j * (BAR_HEIGHT + 2),
                    "height": BAR_HEIGHT,
                    # A rating of "Not yet started" still shows a sliver, so it is not read as
                    # missing.
                    "width": 3 if value in (None, 0) else round(value * step, 1),
                    "css": css if value is not None else "bar--none",
                    "text": Rating(value).label if value is not None else "not rated",
                    "series": label,
                }
            )
    markers = [
        {
            "x": round(LABEL_WIDTH + row["average"] * step, 1),
            "y1": TOP + i * ROW_HEIGHT - 4,
            "y2": TOP + i * ROW_HEIGHT + len(series) * (BAR_HEIGHT + 2) + 2,
            "text": f"{row['average']:.1f}",
        }
        for i, row in enumerate(rows)
        if with_average and row.get("average") is not None
    ]
    return {
        "width": LABEL_WIDTH + SCALE_WIDTH + 140,
        "height": TOP + len(rows) * ROW_HEIGHT + 10,
        "labels": [
            {
                "y": TOP + i * ROW_HEIGHT + BAR_HEIGHT,
                "text": row["label"],
                "lines": textwrap.wrap(row["label"], LABEL_CHARS, max_lines=2, placeholder=" …"),
            }
            for i, row in enumerate(rows)
        ],
        "line_height": LINE_HEIGHT,
        "ticks": [
            {"x": round(LABEL_WIDTH + n * step, 1), "text": label} for n, label in Rating.choices
        ],
        "bars": bars,
        "markers": markers,
        "series": [{"label": label, "css": css} for _, label, css in series],
        "with_average": with_average,
        "label_width": LABEL_WIDTH,
    }
