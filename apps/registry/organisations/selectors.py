"""Reads of organisations, employments, watch rules and alerts: what each caller may see, matching candidates."""

from typing import Any

from django.db.models import Case, Q, QuerySet, Value, When

from apps.core.geo.cells import neighbourhood
from apps.core.permissions import role_of
from apps.territory.models import Level, TerritoryNode
from apps.territory.selectors import node_scope_q

from .models import Alert, Employment, Organisation, WatchRule


def _grids(user: Any) -> QuerySet[TerritoryNode]:
    return TerritoryNode.objects.filter(node_scope_q(user), level=Level.GRID)


def organisations_for(user: Any) -> QuerySet[Organisation]:
    """Canonical organisations the user may see: a worker their grids, a dispatcher their territory."""
    queryset = Organisation.objects.filter(merged_into__isnull=True)
    return queryset if role_of(user) == "admin" else queryset.filter(grid_id__in=_grids(user).values("pk"))


def employments_for(user: Any) -> QuerySet[Employment]:
    """Employments at organisations the user may see."""
    queryset = Employment.objects.select_related("person", "organisation")
    if role_of(user) == "admin":
        return queryset
    return queryset.filter(organisation__grid_id__in=_grids(user).values("pk"))


def watch_rules_for(user: Any) -> QuerySet[WatchRule]:
    """Watch rules: administrators only (each is a grant of special-category data)."""
    return WatchRule.objects.all() if role_of(user) == "admin" else WatchRule.objects.none()


def alerts_for(principal: Any) -> QuerySet[Alert]:
    """Alerts a caller may see: the department's own (its staff and its systems), the grid's workers, a
    dispatcher's territory, every one for an administrator."""
    queryset = Alert.objects.select_related("rule", "grid", "department")
    role = role_of(principal)
    if role == "admin":
        return queryset
    if role == "department_system":
        return queryset.filter(department_id=principal.department_id)
    if role == "department_staff":
        return queryset.filter(department__memberships__user=principal)
    if role in {"grid_worker", "dispatcher"}:
        return queryset.filter(grid_id__in=_grids(principal).values("pk"))
    return queryset.none()


# Fuzzy candidates scored per collection: a dense market street holds hundreds of shops.
CANDIDATES_READ = 200


def organisation_candidates(
    *, cell: str, code_key: str, building_id: Any, name_norm: str
) -> list[Organisation]:
    """Canonical organisations near the point, in the same building, or with the same verified code: one query.

    Organisations with another verified code score 0 (different codes forbid a merge), so they are not read.
    """
    near = Q(cell__in=neighbourhood(cell))
    if building_id:
        near |= Q(building_id=building_id)
    if code_key:
        near &= Q(code_key="")
    condition = near | Q(code_key=code_key) if code_key else near
    rank = Q(code_key=code_key) if code_key else Q(name_norm=name_norm)
    return list(
        Organisation.objects.filter(condition, merged_into__isnull=True)
        .annotate(candidate_rank=Case(When(rank, then=Value(0)), default=Value(1)))
        .order_by("candidate_rank", "pk")
        .only(
            "id", "location", "name_norm", "code_key", "building_id", "room", "floor", "phone_index",
            "legal_rep_id_number_index", "kind", "grid_id",
        )[:CANDIDATES_READ]
    )  # fmt: skip


def rule_targets(*, department_code: str, node_codes: list[str]) -> tuple[Any, list[TerritoryNode]]:
    """The department and territory nodes an administrator names in a watch rule (None / fewer when unknown)."""
    from apps.departments.models import Department

    return (
        Department.objects.filter(code=department_code).first(),
        list(TerritoryNode.objects.filter(code__in=node_codes)),
    )
