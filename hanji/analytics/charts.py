"""Server-drawn SVG charts (no script, no library): one bar a day, its figure in a tooltip.
The axis labels are the page's own text (readable at any width), not text in the drawing."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, TOP, BOTTOM = 720, 180, 4, 2


def bar_chart(values: list[tuple[str, int]], label: str) -> SafeString:
    """`values` are (a day's label, its figure); `label` names the chart for screen readers."""
    if not values:
        return mark_safe("")
    peak = max((v for _l, v in values), default=0) or 1
    step = WIDTH / len(values)
    bar = max(1.0, step * 0.7)
    inner = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="bar-chart" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(label)}">',
        f'<line x1="0" y1="{HEIGHT - BOTTOM}" x2="{WIDTH}" y2="{HEIGHT - BOTTOM}" class="axis"/>',
    ]
    for i, (name, value) in enumerate(values):
        height = inner * value / peak
        x = i * step + (step - bar) / 2
        y = HEIGHT - BOTTOM - height
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}">'
            f"<title>{escape(name)}: {value:,}</title></rect>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def diverging_chart(values: list[tuple[str, int, int]], label: str) -> SafeString:
    """`values` are (a day's label, gained, lost): gained bars rise from the middle line, lost
    bars hang below it, on one scale, so a day's net reads at a glance."""
    if not values:
        return mark_safe("")
    # One scale for both; the line sits where the tallest gain and the deepest loss fit.
    most_up = max((up for _l, up, _d in values), default=0)
    most_down = max((down for _l, _u, down in values), default=0)
    scale = (HEIGHT - TOP - BOTTOM) / ((most_up + most_down) or 1)
    middle = TOP + most_up * scale if most_up + most_down else HEIGHT / 2
    step = WIDTH / len(values)
    bar = max(1.0, step * 0.7)
    parts = [
        f'<svg class="bar-chart diverging-chart" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="none" '
        f'role="img" '
        f'aria-label="{escape(label)}">',
        f'<line x1="0" y1="{middle}" x2="{WIDTH}" y2="{middle}" class="axis"/>',
    ]
    for i, (name, up, down) in enumerate(values):
        x = i * step + (step - bar) / 2
        rise, fall = up * scale, down * scale
        parts.append(
            f'<rect class="up" x="{x:.1f}" y="{middle - rise:.1f}" width="{bar:.1f}" '
            f'height="{rise:.1f}"><title>{escape(name)}: +{up:,}</title></rect>'
            f'<rect class="down" x="{x:.1f}" y="{middle:.1f}" width="{bar:.1f}" '
            f'height="{fall:.1f}"><title>{escape(name)}: −{down:,}</title></rect>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def rate_chart(values: list[tuple[str, float | None, float | None]], label: str) -> SafeString:
    """A pair of bars per send, its open and click rates (0 to 1, on a 0–100% scale); `values`
    are (the send's label, open rate, click rate), None where nothing was delivered."""
    if not values:
        return mark_safe("")
    step = WIDTH / len(values)
    bar = max(1.0, step * 0.35)
    inner = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="rate-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}">',
        f'<line x1="0" y1="{HEIGHT - BOTTOM}" x2="{WIDTH}" y2="{HEIGHT - BOTTOM}" class="axis"/>',
    ]
    for i, (name, *rates) in enumerate(values):
        for j, (kind, rate) in enumerate(zip(("open", "click"), rates, strict=True)):
            height = inner * min(max(rate or 0.0, 0.0), 1.0)
            x = i * step + (step - 2 * bar) / 2 + j * bar
            shown = "—" if rate is None else f"{rate * 100:.1f}%"
            parts.append(
                f'<rect class="{kind}" x="{x:.1f}" y="{HEIGHT - BOTTOM - height:.1f}" '
                f'width="{bar:.1f}" height="{height:.1f}"><title>{escape(name)}: {shown}</title></rect>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))
