"""Charts a dispatcher can paste into a report: an indicator's trend over the periods and a ranking.

Rendered with matplotlib's object API (no global pyplot state: safe in threads of one web process) in a CJK
font the project's setup installs; SVG keeps its text as text, so the labels stay searchable and editable.
"""

import functools
import io
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure

from .reports import INDICATOR_NAMES

# The CJK fonts tried in order (the setup installs WenQuanYi Micro Hei; Noto CJK works as well).
CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "SimHei"]


# Where Debian/Ubuntu packages put them: added when matplotlib's font cache predates their installation.
CJK_FONT_FILES = [
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
]


@functools.cache
def _font_family() -> list[str]:
    available = {font.name for font in font_manager.fontManager.ttflist}
    if not available.intersection(CJK_FONTS):
        for path in CJK_FONT_FILES:
            if path.exists():
                font_manager.fontManager.addfont(str(path))
        available = {font.name for font in font_manager.fontManager.ttflist}
    return [name for name in CJK_FONTS if name in available] + ["DejaVu Sans"]


def _value(row: dict[str, Any], indicator: str) -> float:
    value = row["indicators"][indicator]["value"]
    return float(value) if value is not None else 0.0


def indicator_chart(table: dict[str, Any], *, indicator: str, image_format: str) -> bytes:
    """A trend of ``indicator`` over the periods (the total rows) beside the ranking of the last period."""
    name = INDICATOR_NAMES.get(indicator, indicator)
    rc: dict[str, Any] = {"font.family": _font_family(), "axes.unicode_minus": False, "svg.fonttype": "none"}
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]  # the stubs list every key as a literal
        figure = Figure(figsize=(12, 5), dpi=110)
        trend, ranking = figure.subplots(1, 2)
        totals = [row for row in table["rows"] if row["level"] == "total"]
        labels = [row["period"] for row in totals]
        trend.plot(labels, [_value(row, indicator) for row in totals], marker="o", color="#c0392b")
        trend.set_title(f"{name}趋势")
        trend.set_xlabel("统计周期")
        trend.set_ylabel(name)
        trend.tick_params(axis="x", labelrotation=45)
        # The ranking of the last period with something to rank.
        ranked_periods = [row["period"] for row in table["rows"] if row["level"] != "total"]
        last = ranked_periods[-1] if ranked_periods else (labels[-1] if labels else None)
        ranked = sorted(
            (row for row in table["rows"] if row["level"] != "total" and row["period"] == last),
            key=lambda row: _value(row, indicator),
        )[-20:]
        ranking.barh([str(row["name"]) for row in ranked], [_value(row, indicator) for row in ranked],
                     color="#2e86c1")  # fmt: skip
        ranking.set_title(f"{name}排名（{last or '无数据'}）")
        ranking.set_xlabel(name)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format=image_format)
    return buffer.getvalue()
