# ruff: noqa: S608 - SQL assembled from this module's constants and model names; values travel as parameters
"""Reads of indicator counts: what each caller may see, from the rollups or straight from the history.

Dispatchers see their territory, department staff and systems their department(s), administrators all.
Both readers return the same shape — rows of (period, key, counts) plus a total row per period — so that
the property tests can hold one to the other.
"""

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from apps.core.permissions import role_of
from apps.core.principals import Principal
from apps.core.visibility import visible
from apps.territory.models import TerritoryNode

from .facts import PERIODS_CTE, scratch_sql
from .indicators import Period
from .models import (
    COUNTS,
    PERIOD_ROLLUP_KINDS,
    CategoryPeriodRollup,
    DepartmentPeriodRollup,
    DepartmentRollup,
    EventFact,
    GridPeriodRollup,
    GridRollup,
)

DIMENSIONS = ("total", "department", "node", "category", "channel", "worker")


@dataclass(frozen=True)
class StatsScope:
    """What a caller may count: everything, some departments, or the grids under a territory path."""

    everything: bool = False
    department_ids: tuple[Any, ...] = ()
    path: str | None = None
    ungridded: bool = False  # events outside every grid (a city-level dispatcher)


def scope_for(principal: Principal | Any) -> StatsScope | None:
    """The caller's scope, or None when the caller may not see indicators (grid workers, strangers)."""
    caller: Any = principal  # a user or an API key's principal: each has its own attributes
    role = role_of(principal)
    if role == "admin":
        return StatsScope(everything=True)
    if role == "dispatcher" and getattr(principal, "territory_id", None):
        territory = caller.territory
        return StatsScope(path=territory.path, ungridded=territory.parent_id is None)
    if role == "department_system":
        return StatsScope(department_ids=(caller.department_id,))
    if role == "department_staff":
        return StatsScope(department_ids=tuple(m.department_id for m in caller.memberships.all()))
    return None


def _scoped(queryset: QuerySet[Any], scope: StatsScope | None, *, has_grid: bool) -> QuerySet[Any]:
    if scope is None:
        return queryset.none()
    if scope.everything:
        return queryset
    if scope.path is not None:
        if not has_grid:
            return queryset.none()
        grids = Q(grid_id__in=TerritoryNode.objects.filter(path__startswith=scope.path).values("pk"))
        return queryset.filter(grids | Q(grid_id__isnull=True) if scope.ungridded else grids)
    return queryset.filter(department_id__in=scope.department_ids)


def grid_rollups_for(principal: Principal | Any) -> QuerySet[GridRollup]:
    return _scoped(GridRollup.objects.all(), scope_for(principal), has_grid=True)


def department_rollups_for(principal: Principal | Any) -> QuerySet[DepartmentRollup]:
    return _scoped(DepartmentRollup.objects.all(), scope_for(principal), has_grid=False)


def grid_period_rollups_for(principal: Principal | Any) -> QuerySet[GridPeriodRollup]:
    return _scoped(GridPeriodRollup.objects.all(), scope_for(principal), has_grid=True)


def department_period_rollups_for(principal: Principal | Any) -> QuerySet[DepartmentPeriodRollup]:
    return _scoped(DepartmentPeriodRollup.objects.all(), scope_for(principal), has_grid=False)


def category_period_rollups_for(principal: Principal | Any) -> QuerySet[CategoryPeriodRollup]:
    return _scoped(CategoryPeriodRollup.objects.all(), scope_for(principal), has_grid=False)


def event_facts_for(principal: Principal | Any) -> QuerySet[EventFact]:
    return _scoped(EventFact.objects.all(), scope_for(principal), has_grid=True)


@dataclass(frozen=True)
class CountRow:
    """The counts of one period and one key of the dimension (``key`` None: the period's total)."""

    period: str
    key: str | None
    counts: dict[str, int]


@dataclass(frozen=True)
class Query:
    """What to count: the dimension to break down by, the periods, and optional filters."""

    dimension: str
    periods: list[Period]
    node: TerritoryNode | None = None  # restrict to this node; the "node" dimension lists its children
    category: str | None = None
    department_id: Any = None
    kind: str | None = None  # the kind of every period (week, month, …): read from the period rollups


def _key_sql(query: Query) -> tuple[str, list[Any]]:
    if query.dimension == "department":
        return "b.department_id::text", []
    if query.dimension == "category":
        return "b.category_id", []
    if query.dimension == "channel":
        return "b.channel", []
    if query.dimension == "worker":
        return "b.reporter_id::text", []
    if query.dimension == "node":
        assert query.node is not None  # noqa: S101 - the view defaults it to the caller's root
        # The child of the node on the grid's path; the node itself when it is a grid.
        return "coalesce(nullif(split_part(substr(g.path, %s), '/', 1), ''), %s)", [
            len(query.node.path) + 1,
            query.node.code,
        ]
    return "NULL::text", []


def _conditions(query: Query, scope: StatsScope) -> tuple[list[str], list[Any], bool]:
    """WHERE conditions and their parameters; whether they need the grid's territory node (``g``)."""
    conds: list[str] = ["TRUE"]
    params: list[Any] = []
    needs_grid = query.dimension == "node"
    if query.dimension == "department":
        conds.append("b.department_id IS NOT NULL")
    if query.dimension == "worker":
        conds.append("b.reporter_id IS NOT NULL")
    if query.dimension in {"category", "channel"}:  # the workers' own work has neither
        conds.append(f"b.{'category_id' if query.dimension == 'category' else 'channel'} <> ''")
    if query.node is not None:
        conds.append("g.path LIKE %s")
        params.append(query.node.path + "%")
        needs_grid = True
    if query.category:
        conds.append("b.category_id = %s")
        params.append(query.category)
    if query.department_id is not None:
        conds.append("b.department_id = %s")
        params.append(query.department_id)
    if not scope.everything:
        if scope.path is not None:
            conds.append("(g.path LIKE %s" + (" OR b.grid_id IS NULL)" if scope.ungridded else ")"))
            params.append(scope.path + "%")
            needs_grid = True
        else:
            conds.append("b.department_id = ANY(%s)")
            params.append(list(scope.department_ids))
    return conds, params, needs_grid


def _counts(with_sql: str, with_params: list[Any], source: str, source_params: list[Any], query: Query,
            scope: StatsScope) -> list[CountRow]:  # fmt: skip
    key, key_params = _key_sql(query)
    conds, cond_params, needs_grid = _conditions(query, scope)
    join = " LEFT JOIN territory_territorynode g ON g.id = b.grid_id" if needs_grid else ""
    sums = ", ".join(f"coalesce(sum(x.{name}), 0)::bigint" for name in COUNTS)
    if query.dimension == "total":
        head, grouping = "NULL::text, 0", "GROUP BY x.label"
    else:
        head, grouping = "x.k, GROUPING(x.k)", "GROUP BY GROUPING SETS ((x.label, x.k), (x.label))"
    sql = (
        f"{with_sql}\nSELECT x.label, {head}, {sums} FROM (SELECT b.*, {key} AS k FROM {source} b{join} "
        f"WHERE {' AND '.join(conds)}) x {grouping}"
    )
    params = [*with_params, *key_params, *source_params, *cond_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = [
        CountRow(period=row[0], key=None if row[2] else row[1], counts=dict(zip(COUNTS, map(int, row[3:]), strict=True)))
        for row in rows
    ]  # fmt: skip
    order = {period.label: index for index, period in enumerate(query.periods)}
    out.sort(key=lambda row: (order.get(row.period, 0), row.key is not None, row.key or ""))
    return out


def _period_params(periods: list[Period]) -> list[Any]:
    return [[p.label for p in periods], [p.start for p in periods], [p.end for p in periods]]


def _uses_department_rollup(query: Query, scope: StatsScope) -> bool:
    return (
        query.dimension in {"total", "department"}
        and query.node is None
        and not query.category
        and (scope.path is None)
    )


def _per_period_source(
    query: Query, scope: StatsScope, principal: Principal | Any
) -> tuple[str, list[Any]] | None:
    """The period rollup's rows of the periods asked for, when one can answer: calendar periods, and a
    breakdown by department, node, category or channel (or none) — by grid or by category, not both."""
    if query.kind not in PERIOD_ROLLUP_KINDS or query.dimension == "worker":
        return None
    gridded = query.dimension == "node" or query.node is not None or scope.path is not None
    by_category = query.dimension in {"category", "channel"} or bool(query.category)
    if gridded and by_category:
        return None
    model = GridPeriodRollup if gridded else CategoryPeriodRollup if by_category else DepartmentPeriodRollup
    starts = [p.start for p in query.periods]
    gate = visible(model, principal).filter(kind=query.kind, start__gte=min(starts), start__lte=max(starts))
    gate_sql, gate_params = gate.query.sql_with_params()
    grid = "r.grid_id" if gridded else "NULL::uuid AS grid_id"
    category = (
        "r.category_id, r.channel"
        if by_category
        else "NULL::varchar AS category_id, NULL::varchar AS channel"
    )
    counts = ", ".join(f"r.{name}" for name in COUNTS)
    source = (
        f"(SELECT p.label, r.department_id, {grid}, {category}, NULL::uuid AS reporter_id, {counts} "
        f"FROM ({gate_sql}) r JOIN periods p ON p.s = r.start)"
    )
    return source, list(gate_params)


def indicator_counts(*, principal: Principal | Any, query: Query) -> list[CountRow]:
    """The counts per period (and key) from the rollups the caller may see (through the visibility gate)."""
    scope = scope_for(principal)
    if scope is None or not query.periods:
        return []
    per_period = _per_period_source(query, scope, principal)
    if per_period is not None:
        return _counts("WITH " + PERIODS_CTE, _period_params(query.periods), *per_period, query, scope)
    coarse = _uses_department_rollup(query, scope)
    model = DepartmentRollup if coarse else GridRollup
    first, last = min(p.start for p in query.periods), max(p.end for p in query.periods)
    gate = visible(model, principal).filter(day_min__gte=first, day_min__lte=last)
    gate_sql, gate_params = gate.query.sql_with_params()
    dims = (
        "r.department_id, NULL::uuid AS grid_id, NULL::varchar AS category_id, NULL::varchar AS channel, "
        "NULL::uuid AS reporter_id"
        if coarse
        else "r.department_id, r.grid_id, r.category_id, r.channel, r.reporter_id"
    )
    counts = ", ".join(f"r.{name}" for name in COUNTS)
    source = (
        f"(SELECT pd.label, {dims}, {counts} FROM ({gate_sql}) r JOIN period_days pd ON pd.d = r.day_min "
        "AND r.day_max <= pd.e AND (r.open_from IS NULL OR (r.open_from <= pd.e AND "
        "(r.open_until IS NULL OR r.open_until > pd.e))))"
    )
    return _counts(
        "WITH " + PERIODS_CTE, _period_params(query.periods), source, list(gate_params), query, scope
    )


def indicator_counts_from_scratch(*, scope: StatsScope, query: Query) -> list[CountRow]:
    """The same counts computed from the raw history, without facts or rollups (slow; for checking)."""
    return _counts(scratch_sql(), _period_params(query.periods), "scratch", [], query, scope)


def node_in_scope(principal: Principal | Any, code: str) -> TerritoryNode | None:
    """The territory node ``code`` if the caller may count within it (a dispatcher: their territory)."""
    scope = scope_for(principal)
    node = TerritoryNode.objects.defer("boundary").filter(code=code).first()
    if scope is None or node is None:
        return None
    if scope.path is not None and not node.path.startswith(scope.path):
        return None
    return node


def default_node(principal: Principal | Any) -> TerritoryNode | None:
    """Where a drill-down starts: a dispatcher's territory, else the root of the tree."""
    scope = scope_for(principal)
    if scope is not None and scope.path is not None:
        return TerritoryNode.objects.defer("boundary").filter(path=scope.path).first()
    return TerritoryNode.objects.defer("boundary").filter(parent__isnull=True).order_by("path").first()


def department_in_scope(principal: Principal | Any, code: str) -> Any:
    """The department ``code`` if the caller may count it (a department: itself; a dispatcher: any)."""
    from apps.departments.models import Department

    scope = scope_for(principal)
    department = Department.objects.filter(code=code).first()
    if scope is None or department is None:
        return None
    if scope.department_ids and department.pk not in scope.department_ids:
        return None
    return department


def key_labels(dimension: str, keys: list[str]) -> dict[str, tuple[str, str]]:
    """{key: (code, name)} for the keys of a dimension (department ids, node codes, worker ids, …)."""
    from apps.accounts.models import User
    from apps.departments.models import Department
    from apps.events.models import EventCategory, Source

    rows: Any
    if dimension == "department":
        rows = Department.objects.filter(pk__in=keys).values_list("pk", "code", "name")
        return {str(pk): (code, name) for pk, code, name in rows}
    if dimension == "node":
        rows = TerritoryNode.objects.filter(code__in=keys).values_list("code", "code", "name")
    elif dimension == "category":
        rows = EventCategory.objects.filter(pk__in=keys).values_list("pk", "code", "name")
    elif dimension == "worker":
        users = User.objects.filter(pk__in=keys).values_list("pk", "username", "full_name")
        return {str(pk): (username, full_name or username) for pk, username, full_name in users}
    elif dimension == "channel":
        names = dict(Source.choices)
        return {key: (key, str(names.get(key, key))) for key in keys}
    else:
        return {key: (key, key) for key in keys}
    return {str(key): (code, name) for key, code, name in rows}
