"""The one visibility gate: which records of a type a principal may see, and a record by any of its ids.

Every app registers, from its ``AppConfig.ready``, how to scope each model a client can reach
(``visibility_register(Model, scope=…)``), and optionally how to resolve the other ids that may name one of
its records (aliases of merged records, ids devices gave to reports that were attached elsewhere).
Catalogues and other lists that everybody signed in may read declare themselves ``public=True``.

Views, the push, the feeds and the attachments check all start here — ``visible(Model, principal)`` or
``visible_get(Model, principal, some_id)`` — never from ``Model.objects``: a record outside the caller's
scope is then a 404 (never a 403 that confirms it exists), and a reference a client sends is checked the
same way. The architecture tests fail when an ``api/views.py`` queries a model around the gate.
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from django.http import Http404

from .principals import Principal

M = TypeVar("M", bound=Model)

# principal → the queryset of the records it may see.
Scope = Callable[[Principal], QuerySet[Any]]
# ids as given → {given id: canonical id} for the ids that name another record now (aliases).
Resolver = Callable[[list[uuid.UUID]], dict[uuid.UUID, uuid.UUID]]


@dataclass(frozen=True)
class Gate:
    scope: Scope | None
    resolve: Resolver | None
    public: bool


_gates: dict[type[Model], Gate] = {}


def visibility_register(
    model: type[Model], *, scope: Scope | None = None, resolve: Resolver | None = None, public: bool = False
) -> None:
    """Declare how callers see ``model``: a ``scope`` function, or ``public=True`` for catalogues."""
    if (scope is None) == (not public):
        raise ImproperlyConfigured(f"{model.__name__}: give either a scope or public=True, not both")
    _gates[model] = Gate(scope=scope, resolve=resolve, public=public)


def gate_of(model: type[Model]) -> Gate:
    try:
        return _gates[model]
    except KeyError:
        raise ImproperlyConfigured(
            f"{model._meta.label} has no visibility gate: register it in its app's ready()"
        ) from None


def registered_models() -> dict[type[Model], Gate]:
    """Every model with a gate (the architecture tests read it)."""
    return dict(_gates)


def visible(model: type[M], principal: Principal | Any) -> QuerySet[M]:
    """The records of ``model`` that ``principal`` may see."""
    gate = gate_of(model)
    if gate.public:
        return model._default_manager.all()
    assert gate.scope is not None  # noqa: S101 - guaranteed by visibility_register
    return gate.scope(principal)


def canonical_ids(model: type[Model], given: Iterable[Any]) -> dict[Any, Any]:
    """{given id: the id that names the record now} — through the model's resolver (aliases), in one read."""
    ids = list(dict.fromkeys(given))
    resolver = gate_of(model).resolve
    resolved = resolver([i for i in ids if isinstance(i, uuid.UUID)]) if resolver and ids else {}
    return {i: resolved.get(i, i) for i in ids}


def visible_get(
    model: type[M], principal: Principal | Any, given: Any, queryset: QuerySet[M] | None = None
) -> M | None:
    """The visible record that ``given`` names (its own id or an alias), or None.

    ``queryset`` narrows or decorates the visible set (``select_related`` …); it must start from ``visible``.
    """
    if given is None:
        return None
    canonical = canonical_ids(model, [given])[given]
    base = queryset if queryset is not None else visible(model, principal)
    try:
        return base.filter(pk=canonical).first()
    except (ValueError, TypeError):
        return None


def visible_get_or_404(
    model: type[M], principal: Principal | Any, given: Any, queryset: QuerySet[M] | None = None
) -> M:
    record = visible_get(model, principal, given, queryset)
    if record is None:
        raise Http404
    return record


def visible_many(
    model: type[M], principal: Principal | Any, given: Iterable[Any]
) -> tuple[dict[Any, Any], list[Any]]:
    """({given id: canonical id} of the visible ones, [given ids not visible]) — two reads at most."""
    mapping = canonical_ids(model, given)
    found = set(visible(model, principal).filter(pk__in=set(mapping.values())).values_list("pk", flat=True))
    seen = {g: c for g, c in mapping.items() if c in found}
    return seen, [g for g in mapping if g not in seen]
