# ruff: noqa: S608 - SQL assembled from this module's constants and model names; values travel as parameters
"""Reading an event's raw history (events and their timelines) into holdings, suspensions and occurrences.

A *holding* is one stretch during which a department held an event: it starts with the entry that
dispatched the event to the department (``dispatch``, ``reroute``, ``escalate``, ``raise_level`` reaching
``dispatched``; the entry names the department) and ends with the next such entry, a ``return`` (退单), or a
re-route that sends it to triage. Every entry made in between is charged to that department — so an event
counts for the department that held it when its clock ran out, and escalation moves it on from there.
A deadline that "ran out" is known from the overdue scan's mark (a system ``remind`` entry naming the
deadline and the instant it fell due); the scan runs every minute.

Two things are built from this history, over the same SQL:

* ``FACTS_SQL`` — the facts of the rollups (see ``apps.stats.models``), one row per weighted fact;
* ``SCRATCH_SQL`` — the counts per period computed directly from the history with the definitions' own
  predicates ("signed in the period *or* its sign-by fell in it", …), with no facts and no rollups. The
  property tests hold the rollups to it.

Days are local (Asia/Shanghai). Entries are assumed in time order within an event (they are: ids grow
with time). Cancelled events and events merged into another are left out of every department count.
"""

from .models import COUNTS
from .work import WORK_COUNTS, work_cte

TZ = "Asia/Shanghai"
# The states in which the handling clock runs: leaving them ends a suspension.
CLOCK_STATES = "('dispatched', 'signed', 'in_progress')"

# Where an event came from (its channel): the event's ``source`` — grid worker, dispatcher, Open311, 12345
# hotline, sensor (``apps.events.models.Source``). Registered by ``StatsConfig.ready``; settings or a later app
# may register another SQL expression over ``e`` (events_event), see ``channel_expression_register``.
_channel_sql = ["e.source"]


def channel_expression_register(sql: str) -> None:
    """Set the SQL expression (over ``e``, the event row) that names an event's channel (source)."""
    _channel_sql[0] = sql


def channel_expression() -> str:
    return _channel_sql[0]


def _history(event_filter: str) -> str:
    """The CTEs ev, t, steps, holdings, suspensions, occurrences, reports over the events ``event_filter``
    selects, and the workers' work (of the same ids when the filter names them, see ``apps.stats.work``)."""
    return f"""
ev AS (
  SELECT e.id, e.grid_id, e.category_id, e.reporter_id, e.handle_by, {channel_expression()} AS channel
  FROM events_event e
  WHERE e.status NOT IN ('cancelled', 'merged') {event_filter}
),
t AS (
  SELECT te.id, te.event_id, te.action, te.to_status, te.at, te.data,
         (te.at AT TIME ZONE '{TZ}')::date AS day,
         (te.action IN ('dispatch', 'reroute', 'escalate', 'raise_level') AND te.to_status = 'dispatched')
           AS is_head,
         (te.action = 'return' OR (te.action IN ('reroute', 'escalate', 'raise_level')
                                   AND te.to_status <> 'dispatched')) AS is_end,
         (te.action = 'resume' OR te.to_status NOT IN {CLOCK_STATES}) AS is_stop
  FROM events_timelineentry te JOIN ev ON ev.id = te.event_id
),
s AS (
  SELECT t.*, sum(t.is_head::int) OVER (PARTITION BY t.event_id ORDER BY t.id) AS seg FROM t
),
h AS (
  SELECT s.*,
         first_value(s.data->>'department') OVER (PARTITION BY s.event_id, s.seg ORDER BY s.id) AS department_code,
         coalesce(sum(s.is_end::int) OVER (PARTITION BY s.event_id, s.seg ORDER BY s.id
                                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS ended_before
  FROM s
),
steps AS (
  SELECT h.id, h.event_id, h.seg, h.action, h.at, h.day, h.data, h.is_head, d.id AS department_id,
         CASE WHEN h.action = 'remind' THEN (((h.data->>'due')::timestamptz) AT TIME ZONE '{TZ}')::date END
           AS due_day
  FROM h JOIN departments_department d ON d.code = h.department_code
  WHERE h.seg > 0 AND h.ended_before = 0
),
holdings AS (
  SELECT st.event_id, st.seg, st.department_id,
         min(st.day) FILTER (WHERE st.is_head) AS dispatched_day,
         min(st.day) FILTER (WHERE st.action = 'sign') AS sign_day,
         coalesce(bool_or(st.action = 'sign' AND st.data->>'signed_late' = 'false'), false) AS signed_on_time,
         min(st.due_day) FILTER (WHERE st.action = 'remind' AND st.data->>'deadline' = 'sign_by') AS sign_passed_day,
         max(st.day) FILTER (WHERE st.action = 'report_handled') AS handled_day,
         min(st.due_day) FILTER (WHERE st.action = 'remind' AND st.data->>'deadline' = 'handle_by')
           AS handle_passed_day
  FROM steps st GROUP BY st.event_id, st.seg, st.department_id
),
stops AS (
  SELECT t.*, min(t.day) FILTER (WHERE t.is_stop) OVER (PARTITION BY t.event_id ORDER BY t.id
                                    ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_stop_day
  FROM t
),
suspensions AS (
  SELECT event_id, day AS open_from, next_stop_day AS open_until FROM stops WHERE action = 'suspend'
),
occurrences AS (
  SELECT st.event_id, st.department_id, st.day,
         (st.action = 'return')::int AS returned,
         (st.action = 'grant_extension')::int AS extended,
         (st.action = 'verify' AND st.data->>'ok' = 'false')::int AS rework,
         (st.action = 'verify' AND st.data->>'ok' = 'true')::int AS closed,
         (st.action = 'verify' AND st.data->>'ok' = 'true' AND st.at <= ev.handle_by)::int AS closed_on_time,
         (st.action = 'rate')::int AS rated,
         (st.action = 'rate' AND (st.data->>'rating')::int >= 4)::int AS satisfied
  FROM steps st JOIN ev ON ev.id = st.event_id
  WHERE st.action IN ('return', 'grant_extension', 'verify', 'rate')
),
reports AS (
  SELECT e.id AS event_id, e.grid_id, e.category_id, e.reporter_id, {channel_expression()} AS channel,
         (e.reported_at AT TIME ZONE '{TZ}')::date AS day,
         (e.status NOT IN ('reported', 'cancelled'))::int AS valid
  FROM events_event e WHERE e.status <> 'merged' {event_filter}
),{work_cte(by_ids="%(ids)s" in event_filter)}"""


DIMS = ("department_id", "grid_id", "category_id", "channel", "reporter_id")
# The category and channel of work that is no event's (patrols, visits, tasks).
NO_KEY = "''::varchar"
DAYS = ("day_min", "day_max", "open_from", "open_until")


def _row(source: str, counts: dict[str, str], days: tuple[str, str], *, open_days: tuple[str, str] | None = None,
         dims: str = "hd.department_id, ev.grid_id, ev.category_id, ev.channel, NULL::uuid",
         event: str = "hd.event_id", where: str = "TRUE") -> str:  # fmt: skip
    values = ", ".join(counts.get(name, "0") for name in COUNTS)
    opened = f"{open_days[0]}, {open_days[1]}" if open_days else "NULL::date, NULL::date"
    return f"SELECT {event}, {dims}, {days[0]}, {days[1]}, {opened}, {values} FROM {source} WHERE {where}"


def _union_of_days(a: str, b: str, counts: dict[str, str], *, source: str, open_days: tuple[str, str] | None = None,
                   where: str = "TRUE") -> list[str]:  # fmt: skip
    """Facts counting a holding once in a period where day ``a`` or day ``b`` falls (inclusion–exclusion)."""
    minus = {name: f"-({value})" for name, value in counts.items()}
    return [
        _row(source, counts, (a, a), open_days=open_days, where=f"{a} IS NOT NULL AND {where}"),
        _row(source, counts, (b, b), open_days=open_days, where=f"{b} IS NOT NULL AND {where}"),
        _row(source, minus, (f"least({a}, {b})", f"greatest({a}, {b})"), open_days=open_days,
             where=f"{a} IS NOT NULL AND {b} IS NOT NULL AND {where}"),
    ]  # fmt: skip


def facts_sql(event_filter: str) -> str:
    """SELECT event_id, dims…, days…, counts… — every fact of the events ``event_filter`` selects."""
    held = "holdings hd JOIN ev ON ev.id = hd.event_id"
    parts = [
        _row(held, {"dispatched": "1"}, ("hd.dispatched_day", "hd.dispatched_day"),
             where="hd.dispatched_day IS NOT NULL"),
        # 按时签收率: signed in the period, or its sign-by fell in it (the set is counted once).
        _row(held, {"signed_on_time": "1"}, ("hd.sign_day", "hd.sign_day"),
             where="hd.sign_day IS NOT NULL AND hd.signed_on_time"),
        *_union_of_days("hd.sign_day", "hd.sign_passed_day", {"sign_due": "1"}, source=held),
        # 应结案数: handled in the period, or its handle-by passed in it unhandled (counted once).
        _row(held, {"overdue": "1"}, ("hd.handle_passed_day", "hd.handle_passed_day"),
             where="hd.handle_passed_day IS NOT NULL"),
        *_union_of_days("hd.handled_day", "hd.handle_passed_day", {"due": "1"}, source=held),
        # … of which suspended at the period's end: the same facts, once per suspension of the event.
        *_union_of_days("hd.handled_day", "hd.handle_passed_day", {"suspended_due": "1"},
                        source=held + " JOIN suspensions su ON su.event_id = hd.event_id",
                        open_days=("su.open_from", "su.open_until")),
        _row("occurrences hd JOIN ev ON ev.id = hd.event_id",
             {name: f"hd.{name}" for name in ("returned", "extended", "rework", "closed", "closed_on_time", "rated",
                                              "satisfied")},
             ("hd.day", "hd.day")),
        _row("reports r", {"reported": "1", "reported_valid": "r.valid"}, ("r.day", "r.day"),
             dims="NULL::uuid, r.grid_id, r.category_id, r.channel, r.reporter_id", event="r.event_id"),
        _row("work w", {name: f"w.{name}" for name in WORK_COUNTS}, ("w.day", "w.day"),
             dims=f"NULL::uuid, w.grid_id, {NO_KEY}, {NO_KEY}, w.reporter_id", event="w.record_id"),
    ]  # fmt: skip
    return "WITH " + _history(event_filter) + "\n" + "\nUNION ALL\n".join(parts)


# The periods asked for (three array parameters: labels, first days, last days), and each of their days.
PERIODS_CTE = (
    "periods(label, s, e) AS (SELECT * FROM unnest(%s::text[], %s::date[], %s::date[])),\n"
    "period_days(label, s, e, d) AS (SELECT p.label, p.s, p.e, g::date FROM periods p, "
    "generate_series(p.s, p.e, interval '1 day') g)"
)


def scratch_sql(event_filter: str = "") -> str:
    """WITH …, scratch AS (label, dims…, counts…): per period of ``periods`` (PERIODS_CTE's parameters), straight from the history — each count with its definition's own predicate, no facts,
    no rollups."""
    inp = "{0} BETWEEN p.s AND p.e"
    either = "(" + inp.format("{0}") + " OR " + inp.format("{1}") + ")"
    suspended_at_end = (
        "EXISTS (SELECT 1 FROM suspensions su WHERE su.event_id = hd.event_id AND su.open_from <= p.e "
        "AND (su.open_until IS NULL OR su.open_until > p.e))"
    )
    due = either.format("hd.handled_day", "hd.handle_passed_day")
    held = {
        "dispatched": inp.format("hd.dispatched_day"),
        "sign_due": either.format("hd.sign_day", "hd.sign_passed_day"),
        "signed_on_time": f"hd.signed_on_time AND {inp.format('hd.sign_day')}",
        "due": due,
        "suspended_due": f"{due} AND {suspended_at_end}",
        "overdue": inp.format("hd.handle_passed_day"),
    }
    occurring = ("returned", "extended", "rework", "closed", "closed_on_time", "rated", "satisfied")
    dims = "hd.department_id, ev.grid_id, ev.category_id, ev.channel, NULL::uuid AS reporter_id"

    def select(source: str, counts: dict[str, str], dims: str, where: str) -> str:
        values = ", ".join(
            f"({counts[name]})::int AS {name}" if name in counts else f"0 AS {name}" for name in COUNTS
        )
        return f"SELECT p.label, {dims}, {values} FROM {source} JOIN periods p ON {where}"

    parts = [
        select("holdings hd JOIN ev ON ev.id = hd.event_id",
               {name: f"CASE WHEN {cond} THEN 1 ELSE 0 END" for name, cond in held.items()}, dims, "TRUE"),
        select("occurrences hd JOIN ev ON ev.id = hd.event_id", {name: f"hd.{name}" for name in occurring}, dims,
               inp.format("hd.day")),
        select("reports r", {"reported": "1", "reported_valid": "r.valid"},
               "NULL::uuid, r.grid_id, r.category_id, r.channel, r.reporter_id", inp.format("r.day")),
        select("work w", {name: f"w.{name}" for name in WORK_COUNTS},
               f"NULL::uuid, w.grid_id, {NO_KEY}, {NO_KEY}, w.reporter_id", inp.format("w.day")),
    ]  # fmt: skip
    return (
        "WITH "
        + PERIODS_CTE
        + ","
        + _history(event_filter)
        + ",\nscratch AS (\n"
        + "\nUNION ALL\n".join(parts)
        + ")"
    )
