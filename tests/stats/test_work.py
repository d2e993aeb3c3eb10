"""The grid workers' indicators (有效巡查时长, 巡更打卡数, 走访次数, 走访完成率), from patrols, check-ins, visits and
tasks made through the operations services, taken into the rollups from the journal.

November 2026 in 新垵村 grid 01 (HC-XY-XA-01): worker A serves it from 1 Nov, worker B from 10 Nov; worker C serves
grid 02. The figures, by hand:

* A's patrols: P1 on 16 Nov, 500 fixes 5 s apart walking 1.2 m/s inside the grid → 499 steps × 5 s = 2,495 s
  effective; P2 on 17 Nov, the same walk with a mock fix → flagged, counts nothing; P3 from 30 Nov 23:55 to
  1 Dec 00:03 (101 fixes) → 100 × 5 s = 500 s, on 30 Nov, the day it started. A: 2,495 + 500 = 2,995 s
  = 0.83 h (2,995 / 3,600 = 0.8319). P1 checked in once at the grid's patrol point (within its radius) and once
  too far → 1 check-in.
* Tasks of grid 01: T1 due 20 Nov, done by A's visit on 18 Nov → A, done. T2 due 20 Nov, accepted by B on
  19 Nov, done by B's visit on 21 Nov → B, late. T3 due 25 Nov, left alone → A (first assigned on 25 Nov).
  T4 due 5 Nov, cancelled → nowhere. T5 due 3 Dec, left alone → A in December.
  A: due T1, T3 = 2, done T1 = 1 → 50 %. B: due T2 = 1, done 0 → 0 %. Grid 01: due 3, done 1 → 33.33 %.
* Visits: A 1 (18 Nov), B 1 (21 Nov), C 1 (22 Nov, no task) → C's 走访完成率 has no denominator: null.
* B never patrolled: 0 s, 0.00 h (not null: no patrol is a fact).
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.gis.geos import Point

from apps.accounts.models import Role
from apps.operations.models import Patrol
from apps.operations.services import task_cancel, task_create, task_device_update, visit_apply
from apps.operations.services.points import patrol_point_create
from apps.stats.indicators import indicators_of, periods_between
from apps.stats.models import (
    DepartmentPeriodRollup,
    DepartmentRollup,
    EventFact,
    GridPeriodRollup,
    GridRollup,
)
from apps.stats.selectors import Query, StatsScope, indicator_counts, indicator_counts_from_scratch
from apps.stats.services import stats_rollups_catch_up, stats_rollups_rebuild
from apps.territory.services import grid_assignment_create
from tests.operations.conftest import ORIGIN, offset, person_in, send, walk  # noqa: F401 - a fixture
from tests.stats.conftest import at

pytestmark = pytest.mark.django_db(transaction=True)


def shifted_walk(n: int, start: dt.datetime, **overrides: Any) -> list[dict[str, Any]]:
    points = walk(n, **overrides)
    first = dt.datetime.fromisoformat(points[0]["t"])
    for point in points:
        point["t"] = (dt.datetime.fromisoformat(point["t"]) - first + start).isoformat()
    return points


def patrol(worker: Any, start: dt.datetime, points: list[dict[str, Any]], **data: Any) -> Patrol:
    patrol_id = uuid.uuid4()
    with time_machine.travel(dt.datetime.fromisoformat(points[-1]["t"]), tick=False):
        outcome = send(worker, patrol_id, points, op="create", started_at=start.isoformat(),
                       ended_at=points[-1]["t"], **data)  # fmt: skip
    assert outcome.status == "applied", outcome.errors
    return Patrol.objects.get(pk=patrol_id)


def visit(worker: Any, when: dt.datetime, task: Any = None, person: Any = None) -> None:
    data = {"kind": "care", "started_at": when.isoformat(), "outcome": "done"}
    if task is not None:
        data["task_id"] = str(task.pk)
    if person is not None:
        data["person_ids"] = [str(person.pk)]
    with time_machine.travel(when, tick=False):
        outcome = visit_apply(principal=worker, record_id=uuid.uuid4(), op="create", data=data)
    assert outcome.status == "applied", outcome.errors


@pytest.fixture
def month_of_work(territory: Any, make_user: Any, dispatcher_of: Any, person_in: Any) -> dict[str, Any]:  # noqa: F811
    a, b, c = (make_user(Role.GRID_WORKER) for _ in range(3))
    grid_assignment_create(worker=a, grid=territory["HC-XY-XA-01"], valid_from=dt.date(2026, 11, 1))
    grid_assignment_create(worker=b, grid=territory["HC-XY-XA-01"], valid_from=dt.date(2026, 11, 10))
    grid_assignment_create(worker=c, grid=territory["HC-XY-XA-02"], valid_from=dt.date(2026, 11, 1))
    dispatcher = dispatcher_of("HC-XY")
    person = person_in()
    with time_machine.travel(at(2026, 11, 2, 9, 0), tick=False):
        point = patrol_point_create(actor=dispatcher, grid_code="HC-XY-XA-01", name="新垵祠堂",
                                    location=Point(*ORIGIN, srid=4326), radius_m=30, methods=["gps"])  # fmt: skip
        tasks = {name: task_create(actor=dispatcher, kind="visit", title=name, due=due, subject_type="person",
                                   subject_id=person.pk)
                 for name, due in (("T1", dt.date(2026, 11, 20)), ("T2", dt.date(2026, 11, 20)),
                                   ("T3", dt.date(2026, 11, 25)), ("T4", dt.date(2026, 11, 5)),
                                   ("T5", dt.date(2026, 12, 3)))}  # fmt: skip
        task_cancel(task=tasks["T4"], actor=dispatcher)

    p1_start = at(2026, 11, 16, 9, 0)
    near, far = offset(*ORIGIN, 10, 0), offset(*ORIGIN, 80, 0)
    checkins = [
        {"point_id": str(point.pk), "t": (p1_start + dt.timedelta(minutes=5)).isoformat(), "lon": near[0],
         "lat": near[1], "accuracy_m": 8, "method": "gps"},
        {"point_id": str(point.pk), "t": (p1_start + dt.timedelta(minutes=6)).isoformat(), "lon": far[0],
         "lat": far[1], "accuracy_m": 8, "method": "gps"},
    ]  # fmt: skip
    p1 = patrol(a, p1_start, shifted_walk(500, p1_start), checkins=checkins)
    p2_start = at(2026, 11, 17, 9, 0)
    mocked = shifted_walk(500, p2_start)
    mocked[100]["mock"] = True
    p2 = patrol(a, p2_start, mocked)
    p3_start = at(2026, 11, 30, 23, 55)
    p3 = patrol(a, p3_start, shifted_walk(101, p3_start))
    # The derivation's own figures are what the hand arithmetic above assumes.
    assert (p1.effective_s, p1.flags, p3.effective_s, p3.flags) == (2495, [], 500, [])
    assert "mock" in p2.flags

    visit(a, at(2026, 11, 18, 10, 0), task=tasks["T1"], person=person)
    with time_machine.travel(at(2026, 11, 19, 9, 0), tick=False):
        accepted = task_device_update(principal=b, record_id=tasks["T2"].pk, data={"status": "accepted"})
        assert accepted.status == "applied", accepted.errors
    visit(b, at(2026, 11, 21, 10, 0), task=tasks["T2"], person=person)
    visit(c, at(2026, 11, 22, 10, 0))
    stats_rollups_catch_up()
    return {"a": a, "b": b, "c": c}


def worker_rows(principal: Any, start: dt.date, **query: Any) -> dict[Any, dict[str, Any]]:
    periods = periods_between("month", start, start)
    rows = indicator_counts(principal=principal, query=Query(dimension="worker", periods=periods, **query))
    return {row.key: indicators_of(row.counts) for row in rows}


def test_the_workers_indicators_of_november(month_of_work: Any, admin_user: Any) -> None:
    rows = worker_rows(admin_user, dt.date(2026, 11, 1))
    a, b, c = (rows[str(month_of_work[name].pk)] for name in "abc")
    # A: 2,495 + 500 = 2,995 s = 0.83 h; 1 counted check-in; 1 visit; T1 done of T1, T3 → 50 %.
    assert a["patrol_time"] == {"numerator": 2995, "denominator": None, "value": Decimal("0.83")}
    assert a["checkins"]["value"] == 1 and a["visits"]["value"] == 1
    assert a["visits_done"] == {"numerator": 1, "denominator": 2, "value": Decimal("50.00")}
    # B: no patrol → 0 h; T2 done on 21 Nov, due 20 Nov → 0 of 1.
    assert b["patrol_time"] == {"numerator": 0, "denominator": None, "value": Decimal("0.00")}
    assert b["visits_done"] == {"numerator": 0, "denominator": 1, "value": Decimal("0.00")}
    # C: a visit and no task due → no denominator, no rate.
    assert c["visits"]["value"] == 1
    assert c["visits_done"] == {"numerator": 0, "denominator": 0, "value": None}
    # The total of the month: 2,995 s; tasks 1 done of 3 (T4 cancelled) → 33.33 %; 3 visits.
    total = rows[None]
    assert total["patrol_time"]["numerator"] == 2995 and total["visits"]["value"] == 3
    assert total["visits_done"] == {"numerator": 1, "denominator": 3, "value": Decimal("33.33")}


def test_december_holds_the_task_due_then_and_not_the_patrol_that_ran_into_it(
    month_of_work: Any, admin_user: Any
) -> None:
    rows = worker_rows(admin_user, dt.date(2026, 12, 1))
    # Only A has work in December: T5, due 3 Dec, not done → 0 of 1; P3 counted on 30 Nov.
    assert set(rows) == {None, str(month_of_work["a"].pk)}
    a = rows[str(month_of_work["a"].pk)]
    assert a["visits_done"] == {"numerator": 0, "denominator": 1, "value": Decimal("0.00")}
    assert a["patrol_time"]["numerator"] == 0


def test_the_drill_down_counts_each_task_once_per_grid(
    month_of_work: Any, admin_user: Any, territory: Any
) -> None:
    periods = periods_between("month", dt.date(2026, 11, 1), dt.date(2026, 11, 1))
    query = Query(dimension="node", periods=periods, node=territory["HC-XY-XA"], kind="month")
    rows = {row.key: row.counts for row in indicator_counts(principal=admin_user, query=query)}
    # Grid 01: T1, T2, T3 due (A 2, B 1), T1 done, A's 2,995 s, visits of A and B; grid 02: C's visit.
    assert {key: (c["tasks_due"], c["tasks_done"], c["patrol_s"], c["visits"]) for key, c in rows.items()} == {
        None: (3, 1, 2995, 3), "HC-XY-XA-01": (3, 1, 2995, 2), "HC-XY-XA-02": (0, 0, 0, 1)}  # fmt: skip
    assert indicator_counts(principal=admin_user, query=query) == indicator_counts_from_scratch(
        scope=StatsScope(everything=True), query=query
    )


def test_a_department_counts_no_work_of_workers_and_rows_by_category_hold_none(
    month_of_work: Any, admin_user: Any
) -> None:
    periods = periods_between("month", dt.date(2026, 11, 1), dt.date(2026, 11, 1))
    for dimension in ("department", "category", "channel"):
        rows = indicator_counts(principal=admin_user, query=Query(dimension=dimension, periods=periods))
        assert [row.key for row in rows if row.key is not None] == [], dimension


def test_rebuilding_from_scratch_gives_the_rollups_kept_from_the_journal(month_of_work: Any) -> None:
    def snapshot() -> dict[str, list[Any]]:
        out = {}
        for model in (EventFact, GridRollup, DepartmentRollup, GridPeriodRollup, DepartmentPeriodRollup):
            rows = model.objects.values_list(
                *[f.attname for f in model._meta.concrete_fields if f.attname != "id"]
            )
            out[model.__name__] = sorted(
                (r for r in rows if any(isinstance(v, int) and v for v in r)), key=str
            )
        return out

    kept = snapshot()
    assert kept["EventFact"]
    stats_rollups_rebuild()
    assert snapshot() == kept
