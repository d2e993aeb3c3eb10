"""Reads of the registry: what each caller may see, alias resolution, matching candidates."""

import datetime as dt
import operator
import uuid
from collections.abc import Callable
from functools import reduce

from django.db.models import Case, Q, QuerySet, Value, When

from apps.attachments.models import AttachmentReference
from apps.core.crypto import blind_index_candidates
from apps.core.geo.cells import neighbourhood
from apps.core.permissions import role_of
from apps.core.principals import Principal
from apps.territory.models import Level, TerritoryNode
from apps.territory.selectors import node_scope_q

from .models import (
    Building,
    BuildingAddress,
    MergeEvent,
    Observation,
    Person,
    RecordAlias,
    Residence,
    ReviewItem,
)
from .organisations.selectors import organisations_for


def _grid_scope(user: Principal, prefix: str = "grid__") -> Q:
    if role_of(user) == "admin":
        return Q()
    return Q(
        **{f"{prefix}in": TerritoryNode.objects.filter(node_scope_q(user), level=Level.GRID).values("pk")}
    )


def buildings_for(user: Principal) -> QuerySet[Building]:
    """Canonical buildings the user may see: a worker their grids, a dispatcher their territory."""
    return Building.objects.filter(_grid_scope(user, "grid_id__"), merged_into__isnull=True)


def addresses_for(principal: Principal) -> QuerySet[BuildingAddress]:
    """Addresses a caller may place a report at: every canonical building with a point, for anyone signed in."""
    if not getattr(principal, "is_authenticated", False):
        return BuildingAddress.objects.none()
    return BuildingAddress.objects.filter(merged_into__isnull=True, location__isnull=False)


def people_for(user: Principal) -> QuerySet[Person]:
    """Canonical people the user may see (by the grid they live in)."""
    return Person.objects.filter(_grid_scope(user, "grid_id__"), merged_into__isnull=True)


def residences_for(user: Principal) -> QuerySet[Residence]:
    """Residences in buildings the user may see."""
    return Residence.objects.filter(_grid_scope(user, "building__grid_id__")).select_related(
        "person", "building"
    )


def reviews_for(user: Principal) -> QuerySet[ReviewItem]:
    """Review items in the dispatcher's territory (all for an administrator; none for anyone else)."""
    if role_of(user) not in {"admin", "dispatcher"}:
        return ReviewItem.objects.none()
    return ReviewItem.objects.filter(_grid_scope(user, "grid_id__"))


def merges_for(user: Principal) -> QuerySet[MergeEvent]:
    """Merges whose surviving record the caller may see (dispatchers: their territory)."""
    if role_of(user) not in {"admin", "dispatcher"}:
        return MergeEvent.objects.none()
    survivors = (
        buildings_for(user)
        .values("pk")
        .union(people_for(user).values("pk"), organisations_for(user).values("pk"), all=True)
    )
    return MergeEvent.objects.filter(survivor_id__in=survivors).select_related("actor")


def observations_for(user: Principal) -> QuerySet[Observation]:
    """Observations of the canonical buildings and people the user may see (the history on their details)."""
    return Observation.objects.filter(
        Q(record_type="building", record_id__in=buildings_for(user).values("pk"))
        | Q(record_type="person", record_id__in=people_for(user).values("pk"))
    )


def observations_of(*, record_type: str, record_id: uuid.UUID) -> QuerySet[Observation]:
    return Observation.objects.filter(record_type=record_type, record_id=record_id).order_by("collected_at")


def resolve_alias(*, record_type: str, record_id: uuid.UUID) -> uuid.UUID | None:
    """The canonical id that ``record_id`` denotes now, or None if it was never given out."""
    return (
        RecordAlias.objects.filter(alias=record_id, record_type=record_type)
        .values_list("canonical_id", flat=True)
        .first()
    )


def alias_resolver(record_type: str) -> "Callable[[list[uuid.UUID]], dict[uuid.UUID, uuid.UUID]]":
    """For the visibility gate: {given id: canonical id} of the given ids that are aliases, in one read."""

    def resolve(ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        return dict(
            RecordAlias.objects.filter(record_type=record_type, alias__in=ids).values_list(
                "alias", "canonical_id"
            )
        )

    return resolve


def building_candidates(
    *, cell: str, address_code: str, house_number: str = "", block_number: str = ""
) -> list[Building]:
    """Canonical buildings in the cell's neighbourhood that no veto rules out, or with the same standard
    address code: one query.

    A different standard address code, house number or block number scores 0 whatever else agrees (see
    ``score_building``), so such buildings are not read at all: in a dense neighbourhood most are.
    """
    near = Q(cell__in=neighbourhood(cell))
    if address_code:
        near &= Q(address_code="")  # the same code is found below, wherever it is
    if house_number:
        near &= Q(house_number="") | Q(house_number=house_number)
    if block_number:
        near &= Q(block_number="") | Q(block_number=block_number)
    condition = near | Q(address_code=address_code) if address_code else near
    return list(
        Building.objects.filter(condition, merged_into__isnull=True).only(
            "id", "location", "address_norm", "address_code", "house_number", "block_number", "name", "use"
        )
    )


# Fuzzy candidates scored per collection: a phone shared by a building's tenants (often the landlord's) or a
# common name can block together hundreds of people.
PERSON_CANDIDATES_READ = 50


def person_candidates(
    *,
    name_key: str,
    birth_date: dt.date | None,
    id_number: str,
    phone: str,
    passport: str,
    cell: str,
) -> list[Person]:
    """Canonical people sharing a blocking key with the evidence: one query (a bitmap OR of indexes).

    The people with the same ID number or passport, who decide alone, always come first; then namesakes,
    then the rest, up to ``PERSON_CANDIDATES_READ`` in all, in id order among equals so the same registry
    always gives the same candidates.
    """
    # Without a birth date, namesakes are blocked by neighbourhood instead (people living close by).
    if birth_date:
        namesake = Q(name_key=name_key, birth_date=birth_date)
    else:
        namesake = Q(name_key=name_key, cell__in=neighbourhood(cell))
    deciding = [
        Q(**{f"{column}__in": blind_index_candidates(value)})
        for column, value in (("id_number_index", id_number), ("passport_index", passport))
        if value
    ]
    condition = reduce(operator.or_, deciding, namesake)
    if phone:
        condition |= Q(phone_index__in=blind_index_candidates(phone))
    ranks = [When(reduce(operator.or_, deciding), then=Value(0))] if deciding else []
    rank = Case(*ranks, When(namesake, then=Value(1)), default=Value(2))
    return list(
        Person.objects.filter(condition, merged_into__isnull=True)
        .annotate(candidate_rank=rank)
        .order_by("candidate_rank", "pk")[:PERSON_CANDIDATES_READ]
    )


def buildings_of_people(person_ids: list[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
    """For each person, the buildings they currently live in (one query)."""
    result: dict[uuid.UUID, set[uuid.UUID]] = {}
    for person_id, building_id in Residence.objects.filter(
        person_id__in=person_ids, until__isnull=True
    ).values_list("person_id", "building_id"):
        result.setdefault(person_id, set()).add(building_id)
    return result


def building_photo_visible(user: Principal, sha256: str) -> bool:
    """Whether ``user`` may see a building that references the photo ``sha256``."""
    referencing = AttachmentReference.objects.filter(attachment_sha256=sha256, record_type="building")
    return buildings_for(user).filter(pk__in=referencing.values("record_id")).exists()
