"""Merges are reversible: unmerge restores exactly what was there before (field by field)."""

from collections.abc import Callable
from typing import Any

import pytest
from django.forms.models import model_to_dict
from rest_framework.exceptions import ValidationError

from apps.accounts.models import Role, User
from apps.registry.models import Building, MergeEvent, Observation, Person, RecordAlias, Residence
from apps.registry.services import record_merge, record_unmerge, residence_collect
from tests.registry.conftest import XA, id_number, shifted

pytestmark = pytest.mark.django_db

VOLATILE = {"version", "updated_at", "alternatives"}


def state(model: Any, pk: Any) -> dict[str, Any]:
    row = model_to_dict(model.objects.get(pk=pk))
    return {k: (v.ewkt if hasattr(v, "ewkt") else v) for k, v in row.items() if k not in VOLATILE}


def provenance(pk: Any) -> dict[str, Any]:
    return {
        "observations": sorted(
            str(o) for o in Observation.objects.filter(record_id=pk).values_list("pk", flat=True)
        ),
        "aliases": sorted(
            str(a) for a in RecordAlias.objects.filter(canonical_id=pk).values_list("alias", flat=True)
        ),
        "residences": sorted(
            str(r) for r in Residence.objects.filter(person_id=pk).values_list("pk", flat=True)
        )
        + sorted(str(r) for r in Residence.objects.filter(building_id=pk).values_list("pk", flat=True)),
    }


def test_unmerge_of_an_automatic_merge_restores_both(
    collect_building: Callable[..., Any], worker: User
) -> None:
    first = collect_building(address="新垵村529号").record
    before = (state(Building, first.pk), provenance(first.pk))
    second = collect_building(
        point=shifted(XA, east_m=5), address="新垵村529号", floors=7, use="rental", name="林宅"
    )
    assert second.outcome == "merged"
    merged = state(Building, first.pk)
    assert (merged["floors"], merged["use"], merged["name"]) == (7, "rental", "林宅")

    event = MergeEvent.objects.get(survivor_id=first.pk)
    record_unmerge(event=event, actor=worker)
    assert (state(Building, first.pk), provenance(first.pk)) == before
    restored = Building.objects.get(pk=second.submitted_id)
    assert restored.merged_into_id is None
    assert (restored.floors, restored.use, restored.name, restored.address) == (
        7,
        "rental",
        "林宅",
        "新垵村529号",
    )
    assert Observation.objects.get(record_id=restored.pk).submitted_id == restored.pk
    assert RecordAlias.objects.get(alias=restored.pk).canonical_id == restored.pk


def test_manual_merge_and_unmerge_of_people_with_residences(
    collect_person: Callable[..., Any], collect_building: Callable[..., Any], make_user: Callable[..., User]
) -> None:
    dispatcher = make_user(Role.DISPATCHER)
    home = collect_building().record
    a = collect_person(name="陈伟", phone="13812345678").record
    b = collect_person(
        name="陈卫", id_number=id_number(), tags=["elderly_alone"], point=shifted(XA, north_m=30)
    ).record
    residence_collect(person=b, building=home, room="101", relation="owner")
    Building.objects.filter(pk=home.pk).update(landlord_id=b.pk)
    before = {pk: (state(Person, pk), provenance(pk)) for pk in (a.pk, b.pk)}

    event = record_merge(record_type="person", survivor_id=a.pk, merged_id=b.pk, actor=dispatcher)
    a.refresh_from_db()
    assert a.id_number_index and a.tags == ["elderly_alone"]
    assert Residence.objects.get().person_id == a.pk
    assert Building.objects.get(pk=home.pk).landlord_id == a.pk
    assert Person.objects.get(pk=b.pk).merged_into_id == a.pk

    record_unmerge(event=event, actor=dispatcher)
    after = {pk: (state(Person, pk), provenance(pk)) for pk in (a.pk, b.pk)}
    assert after == before
    assert Building.objects.get(pk=home.pk).landlord_id == b.pk


def test_two_valid_id_numbers_cannot_be_merged_by_hand(
    collect_person: Callable[..., Any], worker: User
) -> None:
    a = collect_person(name="甲", id_number=id_number(seq="111")).record
    b = collect_person(name="乙", id_number=id_number(seq="113")).record
    with pytest.raises(ValidationError):
        record_merge(record_type="person", survivor_id=a.pk, merged_id=b.pk, actor=worker)


def test_unmerge_twice_or_after_a_later_merge_is_refused(
    collect_building: Callable[..., Any], worker: User
) -> None:
    from apps.core.errors import Conflict

    a = collect_building(address="新垵村1号").record
    b = collect_building(address="新垵村2号").record
    c = collect_building(address="新垵村3号").record
    first = record_merge(record_type="building", survivor_id=a.pk, merged_id=b.pk, actor=worker)
    record_merge(record_type="building", survivor_id=c.pk, merged_id=a.pk, actor=worker)
    with pytest.raises(Conflict):
        record_unmerge(event=first, actor=worker)
    second = MergeEvent.objects.get(survivor_id=c.pk)
    record_unmerge(event=second, actor=worker)
    record_unmerge(event=first, actor=worker)
    with pytest.raises(Conflict):
        record_unmerge(event=first, actor=worker)
    assert Building.objects.filter(merged_into__isnull=True).count() == 3


def test_unmerge_of_the_same_id_number_is_refused(collect_person: Callable[..., Any], worker: User) -> None:
    from apps.core.errors import Conflict

    number = id_number()
    first = collect_person(name="陈伟", id_number=number).record
    again = collect_person(name="陈伟", id_number=number, phone="13812345678")
    assert again.outcome == "merged"
    event = MergeEvent.objects.get(survivor_id=first.pk)
    with pytest.raises(Conflict):
        record_unmerge(event=event, actor=worker)
    assert Person.objects.get(pk=again.submitted_id).merged_into_id == first.pk
    assert MergeEvent.objects.get(pk=event.pk).undone_at is None
