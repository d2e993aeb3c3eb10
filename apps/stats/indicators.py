"""The indicators (考核指标) as the governance centre defines them, computed from the period's counts.

Each indicator is ``{"numerator", "denominator", "value"}``: rates are in percent (two decimals) and null
when the denominator is 0; plain counts carry the count as numerator and value. The counts come from the
rollups or from the history directly (``apps.stats.selectors``); their meaning is in ``DEFINITIONS``,
which the API schema publishes word for word.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings

# Stable English key → (Chinese name, how it is computed, as published in the schema).
DEFINITIONS: dict[str, tuple[str, str]] = {
    "signed_on_time": (
        "按时签收率",
        "Holdings signed by their sign-by deadline ÷ holdings signed in the period or whose sign-by deadline "
        "passed unsigned in the period (each holding once). A holding is one dispatch of the event to a "
        "department, until it is returned, re-routed or escalated; its counts go to that department.",
    ),
    "due": (
        "应结案数",
        "Holdings whose handling was reported in the period (the last report, after rework) or whose handle-by "
        "deadline passed unhandled in the period (each holding once). A deadline passes when the overdue "
        "scan marks it (every minute).",
    ),
    "closed": ("结案率", "Verifications that closed the event in the period ÷ 应结案数."),
    "closed_on_time": (
        "按期结案率",
        "Closures in the period no later than the handle-by deadline (after extensions and suspensions) ÷ "
        "(应结案数 − those of them suspended at the end of the period's last day).",
    ),
    "rework": ("返工率", "Verifications in the period that sent the event back to rework ÷ 应结案数."),
    "returned": ("退单率", "Returns (退单) in the period ÷ holdings dispatched in the period."),
    "extended": ("延期率", "Extensions granted in the period ÷ holdings dispatched in the period."),
    "overdue": ("超期率", "Holdings whose handle-by deadline passed unhandled in the period ÷ 应结案数."),
    "satisfaction": ("满意率", "Ratings of 4 or 5 given in the period ÷ ratings given in the period."),
    "filed": ("立案数", "Holdings dispatched to the department in the period (events dispatched)."),
    "composite": (
        "综合指标值",
        "立案数分值 + 结案率 × 0.3 + 按期结案率 × 0.3 + (100 − 返工率) × 0.3, rates in percent; 立案数分值 by the "
        "立案数: ≤ 50 → 10, ≤ 100 → 9, ≤ 200 → 7.5, ≤ 500 → 6, ≤ 1,000 → 4, else 0 (weights and bands: "
        "settings GRIDAPI_STATS_COMPOSITE_WEIGHTS, GRIDAPI_STATS_FILED_BANDS). Null when a rate is. "
        "numerator: the 立案数 scored; denominator: null.",
    ),
    "valid_reports": (
        "有效上报率",
        "Events the worker reported in the period that were accepted and not cancelled ÷ events reported "
        "(duplicates attached to another event are not events of their own).",
    ),
    "patrol_time": (
        "有效巡查时长",
        "Hours of effective patrol in the period: moving (≥ 0.3 m/s) inside the assigned grids, outside flagged "
        "stretches, of patrols without a plausibility flag, on the day each patrol started; numerator: the "
        "seconds, denominator: null. Counted for the worker and the patrol's first grid (by code).",
    ),
    "checkins": ("巡更打卡数", "Check-ins at patrol points in the period that counted (within the radius)."),
    "visits": ("走访次数", "Visits the worker started in the period."),
    "visits_done": (
        "走访完成率",
        "Tasks due in the period (not cancelled) done by a visit no later than their due day ÷ tasks due in the "
        "period. A task counts for one worker: the one whose visit did it, else the one who accepted it, else "
        "the grid's first assigned worker on the due day.",
    ),
}

DEFAULT_WEIGHTS = (Decimal("0.3"), Decimal("0.3"), Decimal("0.3"))
DEFAULT_BANDS: tuple[tuple[int, Decimal], ...] = (
    (50, Decimal(10)), (100, Decimal(9)), (200, Decimal("7.5")), (500, Decimal(6)), (1000, Decimal(4)),
)  # fmt: skip
GRADES: tuple[tuple[Decimal, str], ...] = (
    (Decimal(90), "A"),
    (Decimal(75), "B"),
    (Decimal(60), "C"),
    (Decimal(40), "D"),
)
CENT = Decimal("0.01")


def _rate(numerator: int, denominator: int) -> dict[str, Any]:
    value = None
    if denominator > 0:
        value = (Decimal(100) * numerator / denominator).quantize(CENT, rounding=ROUND_HALF_UP)
    return {"numerator": numerator, "denominator": denominator, "value": value}


def _count(count: int) -> dict[str, Any]:
    return {"numerator": count, "denominator": None, "value": count}


def filed_score(filed: int) -> Decimal:
    """立案数分值 of ``filed`` events dispatched."""
    bands = getattr(settings, "GRIDAPI_STATS_FILED_BANDS", DEFAULT_BANDS)
    return next((Decimal(str(score)) for limit, score in bands if filed <= limit), Decimal(0))


def grade_of(composite: Decimal | None) -> str | None:
    if composite is None:
        return None
    return next((grade for floor, grade in GRADES if composite >= floor), "E")


def indicators_of(counts: dict[str, int]) -> dict[str, Any]:
    """Every indicator from one row's counts (see ``apps.stats.models.COUNTS``)."""
    c = counts
    due = c["due"]
    out: dict[str, Any] = {
        "signed_on_time": _rate(c["signed_on_time"], c["sign_due"]),
        "due": _count(due),
        "closed": _rate(c["closed"], due),
        "closed_on_time": _rate(c["closed_on_time"], due - c["suspended_due"]),
        "rework": _rate(c["rework"], due),
        "returned": _rate(c["returned"], c["dispatched"]),
        "extended": _rate(c["extended"], c["dispatched"]),
        "overdue": _rate(c["overdue"], due),
        "satisfaction": _rate(c["satisfied"], c["rated"]),
        "filed": _count(c["dispatched"]),
        "valid_reports": _rate(c["reported_valid"], c["reported"]),
        "patrol_time": {
            "numerator": c["patrol_s"], "denominator": None,
            "value": (Decimal(c["patrol_s"]) / 3600).quantize(CENT, rounding=ROUND_HALF_UP),
        },
        "checkins": _count(c["checkins"]),
        "visits": _count(c["visits"]),
        "visits_done": _rate(c["tasks_done"], c["tasks_due"]),
    }  # fmt: skip
    rates = [out[name]["value"] for name in ("closed", "closed_on_time", "rework")]
    composite = None
    if None not in rates:
        weights = getattr(settings, "GRIDAPI_STATS_COMPOSITE_WEIGHTS", DEFAULT_WEIGHTS)
        w1, w2, w3 = (Decimal(str(w)) for w in weights)
        composite = (
            filed_score(c["dispatched"]) + rates[0] * w1 + rates[1] * w2 + (Decimal(100) - rates[2]) * w3
        ).quantize(CENT, rounding=ROUND_HALF_UP)
    out["composite"] = {"numerator": c["dispatched"], "denominator": None, "value": composite}
    out["grade"] = grade_of(composite)
    return out


# Periods ---------------------------------------------------------------------------------------------------

PERIOD_KINDS = ("day", "week", "month", "quarter", "year", "custom")
MAX_PERIODS = 400


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.date
    end: dt.date  # inclusive


def _month_start(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _period_of(kind: str, day: dt.date) -> Period:
    if kind == "day":
        return Period(day.isoformat(), day, day)
    if kind == "week":
        start = day - dt.timedelta(days=day.weekday())
        year, week, _weekday = start.isocalendar()
        return Period(f"{year}-W{week:02d}", start, start + dt.timedelta(days=6))
    if kind == "month":
        start = day.replace(day=1)
        return Period(f"{day.year}-{day.month:02d}", start, _month_start(start, 1) - dt.timedelta(days=1))
    if kind == "quarter":
        quarter = (day.month - 1) // 3
        start = dt.date(day.year, quarter * 3 + 1, 1)
        return Period(f"{day.year}-Q{quarter + 1}", start, _month_start(start, 3) - dt.timedelta(days=1))
    start = dt.date(day.year, 1, 1)
    return Period(str(day.year), start, dt.date(day.year, 12, 31))


def periods_between(kind: str, start: dt.date, end: dt.date) -> list[Period]:
    """The periods of ``kind`` from the one holding ``start`` to the one holding ``end`` (custom: exactly one)."""
    if kind == "custom":
        return [Period(f"{start.isoformat()}/{end.isoformat()}", start, end)]
    periods: list[Period] = []
    day = start
    while day <= end and len(periods) <= MAX_PERIODS:
        period = _period_of(kind, day)
        periods.append(period)
        day = period.end + dt.timedelta(days=1)
    return periods
