"""Reads for accounts: who a caller may see, and the grids a user serves."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from apps.core.permissions import role_of
from apps.core.principals import Principal
from apps.departments.selectors import departments_managed_by
from apps.territory.models import TerritoryNode
from apps.territory.selectors import active_assignments, descendants_q, worker_grids

from .models import ApiKey, DeviceToken, Role, User


def user_grids(*, user: Principal) -> QuerySet[TerritoryNode]:
    """The grids a signed-in user serves today (empty for roles other than grid worker)."""
    if getattr(user, "role", None) != "grid_worker":
        return TerritoryNode.objects.none()
    return worker_grids(worker=user).only("id", "code", "name").order_by("code")


def users_visible_to(principal: Principal) -> QuerySet[User]:
    """Users the caller may see (and name in a request): an administrator all, anyone else themself.

    A dispatcher also sees the grid workers of their territory: those whose territory lies in it, those
    serving one of its grids today, and those who serve no grid yet and belong to no territory (the ones a
    dispatcher may assign for the first time). A worker serving only grids elsewhere stays invisible, so
    a dispatcher cannot learn which user ids exist outside their territory.
    """
    role = role_of(principal)
    queryset = User.objects.all()
    if role == "admin":
        return queryset
    pk = getattr(principal, "pk", None)
    own = Q(pk=pk) if pk is not None else Q(pk__in=[])
    territory = getattr(principal, "territory", None)
    if role == "dispatcher" and territory is not None:
        current = active_assignments().filter(worker=OuterRef("pk"))
        inside = current.filter(descendants_q(territory.path, prefix="grid__"))
        workers = Q(role=Role.GRID_WORKER, is_active=True) & (
            descendants_q(territory.path, prefix="territory__")
            | Q(serves_inside=True)
            | Q(territory__isnull=True, serves_any=False)
        )
        return queryset.annotate(serves_any=Exists(current), serves_inside=Exists(inside)).filter(
            own | workers
        )
    return queryset.filter(own)


def device_tokens_visible_to(principal: Principal) -> QuerySet[DeviceToken]:
    """A user's own device tokens; an administrator's, every token."""
    if role_of(principal) == "admin":
        return DeviceToken.objects.all()
    pk = getattr(principal, "pk", None)
    if pk is None:  # a department system has no devices
        return DeviceToken.objects.none()
    return DeviceToken.objects.filter(user_id=pk)


def api_keys_visible_to(principal: Principal) -> QuerySet[ApiKey]:
    """The keys of the departments whose staff and keys the caller may see."""
    return ApiKey.objects.filter(department__in=departments_managed_by(principal).values("pk"))
