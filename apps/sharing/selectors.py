"""Reads of sharing: what each caller may see of subscriptions, endpoints and deliveries (the visibility
gate's scopes, registered in ``SharingConfig.ready``), and the lookups the sharing views make by code."""

from django.db.models import QuerySet

from apps.core.permissions import role_of
from apps.core.principals import Principal
from apps.departments.models import Department
from apps.territory.models import TerritoryNode

from .models import Subscription, WebhookDelivery, WebhookEndpoint


def subscriptions_for(caller: Principal) -> QuerySet[Subscription]:
    """Administrators: every subscription; a department system: its own; anyone else: none."""
    queryset = Subscription.objects.select_related("department").prefetch_related("nodes")
    role = role_of(caller)
    if role == "admin":
        return queryset
    department_id = getattr(caller, "department_id", None)
    if role == "department_system" and department_id is not None:
        return queryset.filter(department_id=department_id)
    return queryset.none()


def endpoints_for(caller: Principal) -> QuerySet[WebhookEndpoint]:
    """Webhook endpoints are administered by administrators only."""
    queryset = WebhookEndpoint.objects.select_related("department")
    return queryset if role_of(caller) == "admin" else queryset.none()


def deliveries_for(caller: Principal) -> QuerySet[WebhookDelivery]:
    """Deliveries and dead letters: administrators only."""
    return WebhookDelivery.objects.all() if role_of(caller) == "admin" else WebhookDelivery.objects.none()


def department_by_code(code: str) -> Department | None:
    """The department a grant or an endpoint names (administrators write them: every department is theirs)."""
    return Department.objects.filter(code=code).first()


def nodes_by_codes(codes: list[str]) -> list[TerritoryNode]:
    """The territory nodes a grant names, without their boundaries."""
    return list(TerritoryNode.objects.filter(code__in=codes).defer("boundary"))
