"""Charts drawn on the server as inline SVG: no script, no CDN, readable without CSS.

Horizontal lengths are percentages of the chart's width and text sizes are pixels, so a chart
fills a phone or a desktop column and its labels stay legible at both. Each chart is an image
with a title and a description (``role="img"``, ``aria-labelledby``) that reads out every
number; the pages also give the numbers in tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

# Colours also set as attributes, so a chart copied out of the page keeps them.
BAR_COLOUR, KEY_COLOUR = "#b22222", "#7a1616"
SERIES_COLOURS = ("#b22222", "#d9822b", "#5b6470")

ROW_HEIGHT, LABEL_GAP, BAR_HEIGHT, PAD = 44, 18, 16, 6
BAR_SPAN = 82  # percent of the width the longest bar takes, leaving room for its number


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | float
    text: str = ""  # how the value is written; str(value) by default
    highlight: bool = False  # a key department


def _listing(items: Sequence[tuple[str, str]]) -> str:
    separator = pgettext("list separator", ", ")
    return separator.join(
        _("%(label)s: %(value)s") % {"label": label, "value": value} for label, value in items
    )


def _opening(chart_id: str, title: str, description: str, height: int, css_class: str) -> SafeString:
    return format_html(
        '<svg class="chart {}" id="{}" xmlns="http://www.w3.org/2000/svg" width="100%" height="{}" '
        'role="img" aria-labelledby="{}-title {}-desc">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
        css_class,
        chart_id,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
    )


def bar_chart(*, chart_id: str, title: str, bars: Sequence[Bar], note: str = "") -> SafeString:
    """Horizontal bars, one per row, the label above its bar; highlighted bars (key departments)
    are darker and marked ★ in the label."""
    if not bars:
        return SafeString("")
    largest = max(bar.value for bar in bars) or 1
    listing = _listing([(bar.label, bar.text or str(bar.value)) for bar in bars])
    description = f"{note} {listing}".strip() if note else listing
    height = ROW_HEIGHT * len(bars) + PAD
    parts = [_opening(chart_id, title, description, height, "bar-chart")]
    for index, bar in enumerate(bars):
        top = PAD + index * ROW_HEIGHT
        width = BAR_SPAN * bar.value / largest
        colour = KEY_COLOUR if bar.highlight else BAR_COLOUR
        parts.append(
            format_html(
                '<g class="bar-row{}"><text class="bar-label" x="0" y="{}">{}{}</text>'
                '<rect class="bar" x="0" y="{}" width="{}%" height="{}" rx="2" fill="{}"></rect>'
                '<text class="bar-value" x="{}%" y="{}" dx="6">{}</text></g>',
                " key" if bar.highlight else "",
                top + 13,
                "★ " if bar.highlight else "",
                bar.label,
                top + LABEL_GAP + 2,
                f"{max(width, 0.4 if bar.value else 0):.2f}",
                BAR_HEIGHT,
                colour,
                f"{width:.2f}",
                top + LABEL_GAP + BAR_HEIGHT - 2,
                bar.text or str(bar.value),
            )
        )
    parts.append(mark_safe("</svg>"))  # noqa: S308 - a literal closing tag
    return SafeString("".join(parts))


def trend_chart(
    *, chart_id: str, title: str, periods: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]
) -> SafeString:
    """Columns per period, one per series (e.g. received, accepted, concluded over three
    quarters), with a legend above."""
    if not periods or not series:
        return SafeString("")
    # One legend line per series: labels of any length in any language, even on a phone.
    legend_height, plot_height, axis_height = 20 * len(series) + 6, 140, 24
    height = legend_height + plot_height + axis_height
    largest = max((value for _label, values in series for value in values), default=0) or 1
    description = " ".join(
        _("%(label)s: %(value)s")
        % {
            "label": label,
            "value": _listing([(period, str(value)) for period, value in zip(periods, values, strict=True)]),
        }
        for label, values in series
    )
    parts = [_opening(chart_id, title, description, height, "trend-chart")]
    parts.append(
        format_html_join(
            "",
            '<g class="legend series-{}"><rect x="0" y="{}" width="12" height="12" fill="{}"></rect>'
            '<text x="18" y="{}">{}</text></g>',
            (
                (index, 4 + 20 * index, SERIES_COLOURS[index % 3], 15 + 20 * index, label)
                for index, (label, _values) in enumerate(series)
            ),
        )
    )
    group_width = 100 / len(periods)
    column_width = group_width * 0.7 / len(series)
    baseline = legend_height + plot_height
    for period_index, period in enumerate(periods):
        left = period_index * group_width + group_width * 0.15
        for series_index, (label, values) in enumerate(series):
            value = values[period_index]
            column_height = (plot_height - 18) * value / largest
            x = left + series_index * column_width
            parts.append(
                format_html(
                    '<g class="column series-{}"><rect x="{}%" y="{}" width="{}%" height="{}" fill="{}">'
                    "<title>{}</title></rect>"
                    '<text class="column-value" x="{}%" y="{}" text-anchor="middle">{}</text></g>',
                    series_index,
                    f"{x + column_width * 0.1:.2f}",
                    f"{baseline - column_height:.1f}",
                    f"{column_width * 0.8:.2f}",
                    f"{column_height:.1f}",
                    SERIES_COLOURS[series_index % 3],
                    _("%(label)s: %(value)s") % {"label": f"{period} · {label}", "value": value},
                    f"{x + column_width / 2:.2f}",
                    f"{baseline - column_height - 4:.1f}",
                    value,
                )
            )
        parts.append(
            format_html(
                '<text class="axis-label" x="{}%" y="{}" text-anchor="middle">{}</text>',
                f"{period_index * group_width + group_width / 2:.2f}",
                baseline + 17,
                period,
            )
        )
    parts.append(
        format_html(
            '<line class="axis" x1="0" x2="100%" y1="{}" y2="{}" stroke="#d9dde3"></line>', baseline, baseline
        )
    )
    parts.append(mark_safe("</svg>"))  # noqa: S308 - a literal closing tag
    return SafeString("".join(parts))
