"""The kinds of subject a task or a schedule rule can name: pluggable.

Each kind says which of its records carry a tag within a territory (for schedule rules), which grid a record
lies in, and which model the visibility gate checks references against. People, buildings and organisations
(recorded by the registry, below this app) are registered by this app; another kind registers the same way
(``subject_kind_register``).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet

from apps.territory.models import TerritoryNode


@dataclass(frozen=True)
class SubjectKind:
    """``tagged(tag, territory)`` → a queryset of the subjects carrying ``tag`` (all of them when ``territory``
    is None, else those in grids below it), with ``pk`` and ``grid_id``; ``model`` is checked by the gate."""

    name: str
    model: type[Model]
    tagged: Callable[[str, TerritoryNode | None], QuerySet[Any]]


_kinds: dict[str, SubjectKind] = {}


def subject_kind_register(
    name: str, *, model: type[Model], tagged: Callable[[str, TerritoryNode | None], QuerySet[Any]]
) -> None:
    _kinds[name] = SubjectKind(name=name, model=model, tagged=tagged)


def subject_kind(name: str) -> SubjectKind | None:
    return _kinds.get(name)


def subject_kinds() -> list[str]:
    return sorted(_kinds)


def _within(queryset: QuerySet[Any], territory: TerritoryNode | None) -> QuerySet[Any]:
    if territory is None:
        return queryset.filter(grid__isnull=False)
    return queryset.filter(grid__path__startswith=territory.path)


def register_registry_subjects() -> None:
    """People by tag (e.g. ``elderly_alone``), buildings by use (e.g. ``rental``), organisations by tag (e.g.
    ``nine_small``): canonical records only."""
    from apps.registry.models import Building, Person
    from apps.registry.organisations.models import Organisation

    subject_kind_register(
        "person", model=Person,
        tagged=lambda tag, territory: _within(Person.objects.filter(tags__contains=[tag], merged_into__isnull=True),
                                              territory),
    )  # fmt: skip
    subject_kind_register(
        "building", model=Building,
        tagged=lambda tag, territory: _within(Building.objects.filter(use=tag, merged_into__isnull=True), territory),
    )  # fmt: skip
    subject_kind_register(
        "organisation", model=Organisation,
        tagged=lambda tag, territory: _within(
            Organisation.objects.filter(tags__contains=[tag], merged_into__isnull=True), territory
        ),
    )  # fmt: skip


def grid_of_subject(kind: SubjectKind, subject_id: uuid.UUID) -> uuid.UUID | None:
    return kind.model._default_manager.filter(pk=subject_id).values_list("grid_id", flat=True).first()
