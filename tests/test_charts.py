"""The self-review chart's labels fit in the SVG: each element's name is written in up to two
lines inside the label column, right-aligned short of the bars, never cut at the left."""

import re

from django.template.loader import render_to_string

from assessments.charts import LABEL_WIDTH, rating_chart
from assessments.domain import DEFAULT_FRAMEWORK
from assessments.frameworks import parse_framework

CHARACTER = 7.5  # px, generous for the labels' 15px sans-serif


def test_every_label_of_the_default_framework_fits_whole():
    spec = parse_framework(DEFAULT_FRAMEWORK.read_bytes())
    titles = [f"{n}. {e.title}" for n, e in enumerate(spec.elements, start=1)]
    rows = [{"label": t, "school": 3, "mentor": None} for t in titles]
    chart = rating_chart(rows)
    for label in chart["labels"]:
        assert " ".join(label["lines"]) == label["text"]  # whole, nothing dropped
        assert len(label["lines"]) <= 2
        assert max(len(line) for line in label["lines"]) * CHARACTER <= LABEL_WIDTH - 10

    svg = render_to_string("assessments/_chart.html", {"chart": chart})
    assert re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups() == (
        str(chart["width"]),
        str(chart["height"]),
    )
    lines = re.findall(r'<tspan x="(\d+)"(?: dy="(\d+)")?>([^<]*)</tspan>', svg)
    assert {x for x, _, _ in lines} == {str(LABEL_WIDTH - 10)}
    assert [text for _, _, text in lines][:4] == [
        "1. Pupil progress",
        "2. Pupil attitudes, values and",
        "personal development",
        "3. Leadership and management",
    ]
    assert [dy for _, dy, _ in lines][1:3] == ["", "17"]


def test_a_label_too_long_for_two_lines_ends_with_an_ellipsis():
    chart = rating_chart(
        [{"label": "An element with a very long name " * 3, "school": 1, "mentor": 1}]
    )
    assert chart["labels"][0]["lines"][-1].endswith(" …")
    assert len(chart["labels"][0]["lines"]) == 2
