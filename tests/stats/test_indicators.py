"""Hand-worked indicators for one department and one month, every figure with its arithmetic.

November 2026, 邻里纠纷 (dispute_neighbour) in 新垵村 grid 01 → 新垵村 (HC-XY-XA-CW): 2 business hours to
sign, 5 working days to handle. Five events:

* E1: signed on time, extension granted, handled 3 Nov, closed, rated 5.
* E2: signed late (sign-by 11:00, signed 15:00), handled 4 Nov, sent back to rework, handled again 5 Nov,
  closed, rated 3.
* E3: returned (退单) unsigned, dispatched again, signed on time, never handled: the scan marks its
  handle-by (9 Nov 10:30) passed.
* E4: signed on time, never handled: marked passed on 9 Nov, then suspended on 10 Nov and never resumed.
* E5: returned, then cancelled: left out of every department count (it stays in the reporter's).
"""

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from apps.events.models import Event
from apps.stats.indicators import indicators_of, periods_between
from apps.stats.selectors import Query, StatsScope, indicator_counts, indicator_counts_from_scratch
from apps.stats.services import stats_rollups_catch_up
from tests.stats.conftest import Story, at, spot

pytestmark = pytest.mark.django_db(transaction=True)


def november(story: Story) -> dict[str, Event]:
    e1, e2, e3, e4, e5 = (story.report(at(2026, 11, 2, 9, 0), point=spot(i)) for i in range(5))
    story.act(e1, at(2026, 11, 2, 9, 30), "sign", "department")
    story.act(e1, at(2026, 11, 2, 9, 40), "request_extension", "department", days=2)
    story.act(e1, at(2026, 11, 2, 9, 50), "grant_extension", "dispatcher")
    story.act(e1, at(2026, 11, 2, 10, 0), "start", "department")
    story.act(e1, at(2026, 11, 3, 10, 0), "report_handled", "department")
    story.act(e1, at(2026, 11, 3, 15, 0), "verify", "worker", ok=True)
    story.act(e1, at(2026, 11, 3, 16, 0), "rate", "worker", rating=5)

    story.act(e2, at(2026, 11, 2, 15, 0), "sign", "department")
    story.act(e2, at(2026, 11, 2, 15, 10), "start", "department")
    story.act(e2, at(2026, 11, 4, 10, 0), "report_handled", "department")
    story.act(e2, at(2026, 11, 4, 16, 0), "verify", "worker", ok=False)
    story.act(e2, at(2026, 11, 5, 10, 0), "report_handled", "department")
    story.act(e2, at(2026, 11, 5, 11, 0), "verify", "worker", ok=True)
    story.act(e2, at(2026, 11, 5, 12, 0), "rate", "worker", rating=3)

    story.act(e3, at(2026, 11, 2, 10, 0), "return", "department")
    story.act(e3, at(2026, 11, 2, 10, 10), "dispatch", "dispatcher")
    story.act(e3, at(2026, 11, 2, 10, 30), "sign", "department")
    story.act(e3, at(2026, 11, 2, 10, 40), "start", "department")

    story.act(e4, at(2026, 11, 2, 9, 10), "sign", "department")
    story.act(e4, at(2026, 11, 2, 9, 20), "start", "department")

    story.act(e5, at(2026, 11, 2, 9, 5), "return", "department")
    story.act(e5, at(2026, 11, 2, 9, 15), "cancel", "dispatcher")

    story.scan(at(2026, 11, 9, 11, 0))  # E3 (handle-by 9 Nov 10:30) and E4 (9 Nov 09:10) are marked
    story.act(e4, at(2026, 11, 10, 9, 0), "suspend", "department")
    return {"e1": e1, "e2": e2, "e3": e3, "e4": e4, "e5": e5}


def month(dimension: str, start: dt.date, **filters: Any) -> Query:
    """The month of ``start``, read as the API reads it (from the rollups per calendar period when they can)."""
    return Query(dimension=dimension, periods=periods_between("month", start, start), kind="month", **filters)


def test_every_indicator_of_one_department_for_november(story: Story, admin_user: Any) -> None:
    events = november(story)
    stats_rollups_catch_up()
    department_id = Event.objects.get(pk=events["e1"].pk).department_id
    rows = indicator_counts(principal=admin_user, query=month("department", dt.date(2026, 11, 1)))
    row = next(r for r in rows if r.key == str(department_id))
    values = indicators_of(row.counts)

    def value(name: str) -> tuple[Any, Any, Any]:
        return values[name]["numerator"], values[name]["denominator"], values[name]["value"]

    # Dispatched: E1, E2, E3 twice (before and after its return), E4 = 5 holdings (E5 cancelled: left out).
    assert value("filed") == (5, None, 5)
    # Signed in November or sign-by passed: E1, E2, E3 (2nd holding), E4 = 4; on time: E1, E3, E4 = 3 → 75 %.
    assert value("signed_on_time") == (3, 4, Decimal("75.00"))
    # 应结案数: E1 (handled 3 Nov), E2 (last handled 5 Nov), E3 and E4 (handle-by passed 9 Nov) = 4.
    assert value("due") == (4, None, 4)
    # Closed: E1, E2 = 2 of 4 → 50 %.
    assert value("closed") == (2, 4, Decimal("50.00"))
    # Closed by the handle-by: E1 (3 Nov, before its extended deadline), E2 (5 Nov ≤ 9 Nov 15:00) = 2;
    # of 4 − 1 (E4 suspended on 30 Nov's end) = 3 → 66.67 %.
    assert value("closed_on_time") == (2, 3, Decimal("66.67"))
    # Rework: E2 sent back once, of 4 → 25 %.
    assert value("rework") == (1, 4, Decimal("25.00"))
    # Returns: E3's = 1 (E5's return is cancelled with it), of 5 dispatched → 20 %.
    assert value("returned") == (1, 5, Decimal("20.00"))
    # Extensions granted: E1's = 1 of 5 → 20 %.
    assert value("extended") == (1, 5, Decimal("20.00"))
    # Handle-by passed unhandled: E3, E4 = 2 of 4 → 50 %.
    assert value("overdue") == (2, 4, Decimal("50.00"))
    # Ratings 4–5: E1 (5) of E1, E2 (3) → 50 %.
    assert value("satisfaction") == (1, 2, Decimal("50.00"))
    # 综合指标值: 立案数 5 ≤ 50 → 10; 10 + 50 × 0.3 + 66.67 × 0.3 + (100 − 25) × 0.3
    #   = 10 + 15 + 20.001 + 22.5 = 67.501 → 67.50, grade C (≥ 60).
    assert value("composite") == (5, None, Decimal("67.50"))
    assert values["grade"] == "C"


def test_the_reporter_counts_every_event_reported_and_the_valid_ones(story: Story, admin_user: Any) -> None:
    november(story)
    stats_rollups_catch_up()
    rows = indicator_counts(principal=admin_user, query=month("worker", dt.date(2026, 11, 1)))
    row = next(r for r in rows if r.key == str(story.reporter.pk))
    # Reported 5; accepted and not cancelled: E1–E4 = 4 → 80 %.
    assert indicators_of(row.counts)["valid_reports"] == {
        "numerator": 4,
        "denominator": 5,
        "value": Decimal("80.00"),
    }


def test_december_keeps_only_what_happened_in_december(story: Story, admin_user: Any) -> None:
    events = november(story)
    story.act(events["e4"], at(2026, 12, 1, 9, 0), "resume", "department")
    story.act(events["e4"], at(2026, 12, 1, 10, 0), "report_handled", "department")
    stats_rollups_catch_up()
    rows = indicator_counts(principal=admin_user, query=month("total", dt.date(2026, 12, 1)))
    counts = rows[0].counts
    # E4 handled on 1 Dec: 应结案数 1, nothing closed (0 of 1), nothing dispatched, nothing suspended at the end.
    assert (counts["due"], counts["closed"], counts["dispatched"], counts["suspended_due"]) == (1, 0, 0, 0)
    # November lost E4's suspension at its end? No: E4 was still suspended when November ended.
    november_total = indicator_counts(principal=admin_user, query=month("total", dt.date(2026, 11, 1)))[0]
    assert november_total.counts["suspended_due"] == 1


def test_drill_down_lists_the_children_of_a_node_and_its_total(
    story: Story, admin_user: Any, territory: Any
) -> None:
    november(story)
    stats_rollups_catch_up()
    query = month("node", dt.date(2026, 11, 1), node=territory["HC-XY"])
    rows = indicator_counts(principal=admin_user, query=query)
    assert [(r.key, r.counts["due"]) for r in rows] == [(None, 4), ("HC-XY-XA", 4)]
    assert rows == indicator_counts_from_scratch(scope=StatsScope(everything=True), query=query)


def system_of(department: Any) -> Any:
    """A department's system as the gate sees it (an API key's principal)."""
    return type("System", (), {"is_authenticated": True, "is_superuser": False, "role": "department_system",
                               "pk": None, "department_id": department.pk})()  # fmt: skip


def test_a_department_sees_its_own_counts_only(story: Story, routing: Any) -> None:
    november(story)
    stats_rollups_catch_up()
    own = indicator_counts(
        principal=system_of(routing["HC-XY-XA-CW"]), query=month("total", dt.date(2026, 11, 1))
    )
    other = indicator_counts(
        principal=system_of(routing["HC-SF-XY"]), query=month("total", dt.date(2026, 11, 1))
    )
    assert own[0].counts["due"] == 4
    assert other == [] or other[0].counts["due"] == 0


@pytest.mark.parametrize("kind", ["week", "month", "quarter", "year"])
def test_the_rollups_per_period_give_what_the_daily_rollups_give(story: Story, admin_user: Any, territory: Any,
                                                                 routing: Any, kind: str) -> None:  # fmt: skip
    events = november(story)
    story.act(events["e4"], at(2026, 12, 1, 9, 0), "resume", "department")
    story.act(events["e4"], at(2026, 12, 1, 10, 0), "report_handled", "department")
    stats_rollups_catch_up()
    periods = periods_between(kind, dt.date(2026, 10, 26), dt.date(2026, 12, 31))
    callers = [
        (admin_user, None),
        (admin_user, territory["HC-XY"]),
        (system_of(routing["HC-XY-XA-CW"]), None),
    ]
    for principal, node in callers:
        for dimension, category in (("total", None), ("department", None), ("node", None), ("category", None),
                                    ("channel", None), ("department", "dispute_neighbour")):  # fmt: skip
            if dimension == "node" and node is None:
                continue
            daily = Query(dimension=dimension, periods=periods, node=node, category=category)
            per_period = indicator_counts(principal=principal, query=replace(daily, kind=kind))
            assert per_period == indicator_counts(principal=principal, query=daily), (
                dimension,
                node,
                category,
            )
            assert any(row.counts["due"] for row in per_period)
