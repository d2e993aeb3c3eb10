"""The indicator table as the API, the exports and the charts show it: rows with names and indicators."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from apps.core.principals import Principal

from .indicators import DEFINITIONS, indicators_of
from .models import COUNTS, RollupCursor
from .selectors import Query, indicator_counts, key_labels
from .services import CURSOR

# The columns of an exported table: every indicator's stable name and its Chinese name.
INDICATOR_NAMES: dict[str, str] = {name: chinese for name, (chinese, _definition) in DEFINITIONS.items()}


@dataclass
class IndicatorTable:
    dimension: str
    period_kind: str
    node: str | None
    periods: list[dict[str, Any]]
    rows: list[dict[str, Any]] = field(default_factory=list)
    rollups_as_of: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension, "period": self.period_kind, "node": self.node, "periods": self.periods,
            "rollups_as_of": self.rollups_as_of, "rows": self.rows,
        }  # fmt: skip


def indicator_table(*, principal: Principal | Any, query: Query, period_kind: str) -> IndicatorTable:
    """Indicators per period: the total row of each period first, then one row per key of the dimension."""
    counted = indicator_counts(principal=principal, query=query)
    labels = key_labels(query.dimension, sorted({row.key for row in counted if row.key is not None}))
    cursor = RollupCursor.objects.filter(name=CURSOR).values_list("updated_at", flat=True).first()
    table = IndicatorTable(
        dimension=query.dimension, period_kind=period_kind, node=query.node.code if query.node else None,
        periods=[{"label": p.label, "start": p.start, "end": p.end} for p in query.periods], rollups_as_of=cursor,
    )  # fmt: skip
    by_period: dict[str, list[Any]] = {p.label: [] for p in query.periods}
    for row in counted:
        by_period.setdefault(row.period, []).append(row)
    for period in query.periods:
        rows = by_period.get(period.label) or []
        if not any(row.key is None for row in rows):
            rows.insert(0, None)  # a period with nothing counted still has its total row, of zeros
        for row in rows:
            counts = row.counts if row is not None else dict.fromkeys(COUNTS, 0)
            key = row.key if row is not None else None
            code, name = labels.get(key, (key, key)) if key is not None else (table.node, _("Total"))
            values = indicators_of(counts)
            table.rows.append({
                "period": period.label, "level": "total" if key is None else query.dimension, "key": code,
                "name": name, "grade": values.pop("grade"), "indicators": values,
            })  # fmt: skip
    return table
