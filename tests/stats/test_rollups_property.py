"""Property: for random event histories, driven through the real event services, every count the rollups
give equals the count computed straight from the raw history, for random periods, dimensions and nodes."""

import contextlib
import datetime as dt
import itertools
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import APIException, ValidationError

from apps.core.errors import IllegalTransition
from apps.events.lifecycle import TRANSITIONS
from apps.events.models import Event
from apps.stats.indicators import PERIOD_KINDS, periods_between
from apps.stats.selectors import (
    DIMENSIONS,
    Query,
    StatsScope,
    indicator_counts,
    indicator_counts_from_scratch,
)
from apps.stats.services import stats_rollups_advance, stats_rollups_catch_up
from tests.stats.conftest import Story, at

# Points of 新垵村 grid 01 150 m apart (beyond the duplicate radius, away from the boundaries): a new one for
# each report, so that reports attach to an earlier event only now and then (after a hundred).
SPOTS = itertools.cycle(
    [(118.0205 + 0.0015 * col, 24.4805 + 0.0015 * row) for row in range(25) for col in range(4)]
)

pytestmark = pytest.mark.django_db(transaction=True)

# (action, who fires it, parameters): what may happen to an event, the forward moves more often than the rest.
MOVES: list[tuple[str, str, dict[str, Any]]] = [
    ("sign", "department", {}),
    ("sign", "department", {}),
    ("start", "department", {}),
    ("start", "department", {}),
    ("start", "department", {}),
    ("report_handled", "department", {}),
    ("report_handled", "department", {}),
    ("report_handled", "department", {}),
    ("return", "department", {}),
    ("verify", "worker", {"ok": True}),
    ("verify", "worker", {"ok": True}),
    ("verify", "worker", {"ok": False}),
    ("rate", "worker", {"rating": 5}),
    ("rate", "worker", {"rating": 2}),
    ("cancel", "dispatcher", {}),
    ("suspend", "department", {}),
    ("resume", "department", {}),
    ("request_extension", "department", {"days": 2}),
    ("grant_extension", "dispatcher", {}),
    ("dispatch", "dispatcher", {}),
    ("reroute", "dispatcher", {}),
    ("escalate", "dispatcher", {}),
]
# Minutes between two steps: within business hours, across a day, a weekend, past a deadline.
GAPS = [5, 30, 90, 240, 1_440, 4_320]
NODES = ["350200", "350205", "HC-XY", "HC-XY-XA", "HC-XY-XA-01", "HC-SY-HH-01"]

steps = st.lists(
    st.tuples(st.integers(0, 3), st.integers(-1, 50),
              st.sampled_from(GAPS)),
    min_size=16, max_size=40,
)  # fmt: skip


def play(story: Story, history: list[tuple[int, int, int]], start: dt.datetime) -> dt.datetime:
    """Report four events and fire moves on them in time order: a move is picked among those the event's
    state allows (-1: the overdue scan runs)."""
    now = start
    events: list[Event] = []
    for _ in range(4):
        now += dt.timedelta(minutes=7)
        events.append(story.report(now, point=next(SPOTS)))
    for index, move, gap in history:
        now += dt.timedelta(minutes=gap)
        if move < 0:
            story.scan(now)
            continue
        status = Event.objects.values_list("status", flat=True).get(pk=events[index].pk)
        possible = [m for m in MOVES if status in TRANSITIONS[m[0]].sources]
        if not possible:
            continue
        action, who, params = possible[move % len(possible)]
        # A move the state refuses (already suspended, nothing requested, …): the history goes on without it.
        with contextlib.suppress(IllegalTransition, ValidationError, APIException):
            story.act(events[index], now, action, who, **params)
    return now


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(history=steps, data=st.data())
def test_rollups_equal_the_raw_history(story: Story, admin_user: Any, territory: Any, history: Any,
                                       data: Any) -> None:  # fmt: skip
    start = at(2026, 11, 2, 8, 0) + dt.timedelta(days=data.draw(st.integers(0, 40)))
    end = play(story, history, start)
    # Part of the way by small steps (the cursor moves in batches), then the rest.
    stats_rollups_advance(limit=data.draw(st.integers(1, 20)))
    stats_rollups_catch_up()
    for _ in range(3):
        kind = data.draw(st.sampled_from(PERIOD_KINDS))
        first = start.date() + dt.timedelta(days=data.draw(st.integers(-10, 30)))
        last = first + dt.timedelta(days=data.draw(st.integers(0, 45 if kind != "day" else 10)))
        dimension = data.draw(st.sampled_from(DIMENSIONS))
        node = (
            territory[data.draw(st.sampled_from(NODES))]
            if dimension == "node" or data.draw(st.booleans())
            else None
        )
        query = Query(dimension=dimension, periods=periods_between(kind, first, last), node=node)
        scratch = _nonzero(indicator_counts_from_scratch(scope=StatsScope(everything=True), query=query))
        # From the daily rollups, and (calendar periods) from the rollups per period.
        daily = indicator_counts(principal=admin_user, query=query)
        assert _nonzero(daily) == scratch, (kind, first, last, dimension, node, end)
        per_period = indicator_counts(principal=admin_user, query=replace(query, kind=kind))
        assert _nonzero(per_period) == scratch, (kind, first, last, dimension, node, end, "per period")


def _nonzero(rows: list[Any]) -> list[Any]:
    """Rows with some count: a rollup row whose facts were all taken back sums to zeros, which is no row."""
    return [(row.period, row.key, row.counts) for row in rows if any(row.counts.values())]
