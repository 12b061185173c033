"""Charts as server-rendered SVG: nothing to load from anywhere, readable without JavaScript.

Pure functions returning markup; every text is escaped. Each chart has a <title> and an
aria-label so a screen reader says what it shows.
"""

from collections.abc import Sequence
from html import escape

from markupsafe import Markup


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ") if abs(value) >= 10 else f"{value:.3g}"


def bars(
    rows: Sequence[tuple[str, float | None]], label: str, width: int = 420, row_height: int = 26
) -> Markup:
    """Horizontal bars, one per row, scaled to the largest; None draws as "—"."""
    top = max((v for _, v in rows if v), default=0.0) or 1.0
    label_w, value_w = 120, 70
    room = width - label_w - value_w
    height = row_height * len(rows) + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
    ]
    for i, (name, value) in enumerate(rows):
        y = i * row_height + 2
        w = 0 if not value else max(2, round(room * value / top))
        text = "—" if value is None else _fmt(value)
        parts.append(
            f'<text x="0" y="{y + 17}" class="lbl">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row_height - 8}" rx="3"/>'
            f'<text x="{label_w + w + 6}" y="{y + 17}" class="val">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def sparkline(points: Sequence[float], label: str, width: int = 240, height: int = 48) -> Markup:
    """A line over the last polls, the latest value written at its end."""
    pts = list(points) or [0.0]
    top = max(pts) or 1.0
    step = width / max(len(pts) - 1, 1)
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{i * step:.1f},{height - 4 - (height - 8) * v / top:.1f}"
        for i, v in enumerate(pts)
    )
    return Markup(
        f'<svg class="spark" viewBox="0 0 {width + 60} {height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f'<path d="{path}" fill="none" stroke-width="2"/>'
        f'<text x="{width + 6}" y="{height / 2 + 5:.0f}" class="val">{escape(_fmt(pts[-1]))}</text>'
        "</svg>"
    )
