"""Organisations and employments pushed from a device: applied, merged, replayed, rejected."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.registry.models import Person
from apps.registry.organisations.models import Employment, Organisation
from tests.registry.conftest import HH
from tests.sync.conftest import XA, mutation, push

pytestmark = pytest.mark.django_db

CODE = "91350200MA2XN0QJ4B"


def _person(territory: Any, code: str = "HC-XY-XA-01", at: tuple[float, float] = XA) -> Person:
    return Person.objects.create(
        name="林某", name_key="lin mou", grid=territory[code], location=Point(*at, srid=4326)
    )


def _with(sent: dict[str, Any], **data: Any) -> dict[str, Any]:
    """``data`` fields named like ``mutation``'s own parameters (``kind``)."""
    sent["data"].update(data)
    return sent


def _shop(kind: str = "individual", **data: Any) -> dict[str, Any]:
    return _with(mutation("organisation", name="新垵便利店", **data), kind=kind)


def test_an_organisation_is_applied_then_merged_and_replayed(device: APIClient) -> None:
    (first,) = push(device, _shop(industry="零售"))
    assert first["status"] == "applied"
    assert Organisation.objects.filter(pk=first["id"], name="新垵便利店").exists()
    again = _shop()
    (second,) = push(device, again)
    assert second["status"] == "merged" and second["merged_into"] == first["id"]
    assert second["match"]["score"] > 0
    assert push(device, again) == [second]  # replayed, not collected again
    assert Organisation.objects.filter(merged_into__isnull=True).count() == 1


def test_an_organisation_update_applies_and_conflicts_three_ways(
    device: APIClient, api_client: Callable[[Any], APIClient], worker_of: Callable[..., User]
) -> None:
    (made,) = push(device, _shop())
    colleague = api_client(worker_of("HC-XY-XA-01"))
    (theirs,) = push(
        colleague, mutation("organisation", "update", record_id=made["id"], base=1, point=None, staff=9)
    )
    assert theirs["status"] == "applied" and theirs["version"] == 2
    sent = mutation(
        "organisation", "update", record_id=made["id"], base=1, point=None, staff=4, industry="餐饮"
    )
    (mine,) = push(device, sent)
    assert mine["status"] == "conflict"
    assert [(c["field"], c["device"], c["server"]) for c in mine["conflicts"]] == [("staff", 4, 9)]
    organisation = Organisation.objects.get(pk=made["id"])
    assert (organisation.staff, organisation.industry) == (9, "餐饮")
    assert push(device, sent) == [mine]


def test_bad_organisations_are_rejected_with_field_errors(device: APIClient, territory: Any) -> None:
    other_grid = _person(territory, "HC-SY-HH-01", HH)
    bad = [
        _with(mutation("organisation"), kind="individual"),  # no name
        _shop(kind="spaceship"),
        mutation("organisation", "update", record_id=other_grid.pk, base=1, point=None, name="改"),
        mutation("organisation", "delete", record_id=other_grid.pk, point=None),
    ]
    results = push(device, *bad)
    assert [r["status"] for r in results] == ["rejected"] * 4
    assert "name" in results[0]["errors"]["data"] and "kind" in results[1]["errors"]["data"]
    assert "id" in results[2]["errors"]
    assert Organisation.objects.count() == 0


def test_employments_are_applied_merged_ended_and_checked(device: APIClient, territory: Any) -> None:
    (shop,) = push(device, _shop())
    person = _person(territory)
    hidden = _person(territory, "HC-SY-HH-01", HH)
    made = mutation(
        "employment", point=None, person_id=str(person.pk), organisation_id=shop["id"], role="店员"
    )
    (applied,) = push(device, made)
    assert applied["status"] == "applied"
    (merged,) = push(device, mutation("employment", point=None, person_id=str(person.pk),
                                      organisation_id=shop["id"]))  # fmt: skip
    assert merged["status"] == "merged" and merged["merged_into"] == applied["id"]
    (updated,) = push(device, mutation("employment", "update", record_id=applied["id"], base=1, point=None,
                                       role="店长"))  # fmt: skip
    assert updated["status"] == "applied" and Employment.objects.get(pk=applied["id"]).role == "店长"
    (ended,) = push(device, mutation("employment", "delete", record_id=applied["id"], base=2, point=None))
    assert ended["status"] == "applied" and Employment.objects.get(pk=applied["id"]).until is not None
    (foreign,) = push(
        device, mutation("employment", point=None, person_id=str(hidden.pk), organisation_id=shop["id"])
    )
    assert foreign["status"] == "rejected" and "person_id" in foreign["errors"]["data"]
    assert push(device, made) == [applied]
    assert Employment.objects.count() == 1
