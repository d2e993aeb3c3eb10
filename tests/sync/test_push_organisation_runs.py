"""Runs of new organisations are collected together: the same answers as ``organisation_collect`` one by one,
in a number of queries that does not grow with the run."""

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.core.errors import Conflict
from apps.core.ids import uuid7
from apps.registry.models import MergeEvent, Observation, RecordAlias, ReviewItem
from apps.registry.organisations.inputs import OrganisationDataSerializer
from apps.registry.organisations.models import Organisation
from apps.registry.organisations.services import organisation_collect
from apps.registry.services import record_unmerge
from apps.sync.services import push as sync_push
from apps.sync.services.common import PushContext, collected, errors_of, meta_of, mutation_result
from tests.registry.conftest import HH, id_number
from tests.registry.organisations.conftest import credit_code
from tests.sync.conftest import XA, mutation, push, shifted

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def runs_applied_together(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A run the database refuses is applied again one by one, which would hide a wrong plan: none may."""
    fallbacks: list[str] = []
    monkeypatch.setattr(
        sync_push.logger, "warning", lambda message, *args, **kw: fallbacks.append(message % args)
    )
    yield
    assert not fallbacks


NAMES = ["新阳好味道餐饮", "美佳超市", "阿明五金店", "海沧快捷宾馆", "兴旺汽修", "小林理发店", "万家福便利店"]
# The same name as a device may write it: with places, legal forms, brackets, spaces, full-width forms.
FORMS = ["{}", "厦门市海沧区{}有限公司", "{}（个体工商户）", "{} ", "{}(厦门)", "海沧{}有限责任公司"]


def organisation(point: tuple[float, float] | None, **data: Any) -> dict[str, Any]:
    """An organisation's create mutation (``kind`` and the like are data fields, not ``mutation``'s)."""
    sent = mutation("organisation", point=point)
    sent["data"] = data
    return sent


def _code(region: str, n: int) -> str:
    """A valid credit code of its own for each (region, n): the same code in two regions would merge them."""
    return credit_code(org8=f"{region}{n:06d}")


def _scene(origin: tuple[float, float], region: str, seed: int, buildings: list[str]) -> list[dict[str, Any]]:
    """Shops along a street seen by several devices: name variants, codes given late or never, a chain's
    branches (same name, other codes), neighbours in the same building on other floors, phones shared."""
    rng = random.Random(seed)
    mutations = []
    for n in range(30):
        shop = n % 8
        name = FORMS[rng.randrange(len(FORMS))].format(NAMES[shop % len(NAMES)])
        point = shifted(
            origin, east_m=rng.uniform(-6, 6) + (shop % 2) * 30, north_m=shop * 90 + rng.uniform(-6, 6)
        )
        data: dict[str, Any] = {"name": name}
        if rng.random() < 0.4:  # a code, sometimes only on a later collection
            data["credit_code"] = _code(
                region, shop if rng.random() < 0.85 else 50 + n
            )  # or a chain's branch
        if rng.random() < 0.5:
            data["building_id"] = buildings[shop % len(buildings)]
            if rng.random() < 0.5:
                data["floor"] = str(1 + rng.randrange(3))
        if rng.random() < 0.3:
            data["phone"] = f"1380000{shop:04d}"
        if rng.random() < 0.2:
            data["kind"] = rng.choice(["individual", "enterprise"])
        if rng.random() < 0.3:
            data["staff"] = rng.randrange(1, 30)
        mutations.append(organisation(point, **data))
    # Ids in the order of the scene: ties between equal scores go by id, the same way in every scene.
    for sent, record_id in zip(mutations, sorted(str(uuid7()) for _m in mutations), strict=True):
        sent["id"] = record_id
    return mutations


def _buildings(device: APIClient, origin: tuple[float, float]) -> list[str]:
    made = push(device, *[
        mutation("building", point=shifted(origin, north_m=n * 90), address=f"新垵村{800 + n}号") for n in range(4)
    ])  # fmt: skip
    return [r["id"] for r in made]


def _one_by_one(worker: User, sent: dict[str, Any]) -> dict[str, Any]:
    """What ``organisation_collect`` answers for one mutation, in its own transaction."""
    context = PushContext(user=worker, device_id="phone-1", crs="wgs84")
    serializer = OrganisationDataSerializer(data=sent["data"])
    serializer.is_valid(raise_exception=True)
    try:
        with transaction.atomic():
            outcome = organisation_collect(
                data=dict(serializer.validated_data), meta=meta_of(context, sent), payload=sent
            )
        return collected(sent["mutation_id"], outcome)
    except ValidationError as exc:
        return mutation_result(sent["mutation_id"], "rejected", errors=errors_of(exc))


def _shape(results: list[dict[str, Any]], mutations: list[dict[str, Any]]) -> list[Any]:
    """Answers with record ids as positions in the scene and distances left out (the scenes lie apart)."""
    ids = {m["id"]: n for n, m in enumerate(mutations)}
    return [
        (r["status"], r["version"], ids.get(r["id"]), (r["match"] or {}).get("score"),
         [reason for reason in (r["match"] or {}).get("reasons", []) if "m apart" not in reason])
        for r in results
    ]  # fmt: skip


def test_a_run_answers_as_one_by_one_would(device: APIClient, worker: User) -> None:
    for seed in (1, 2):  # scenes 600 m long, 370 m apart or more, inside grid 01
        here, there = shifted(XA, north_m=(seed - 1) * 800), shifted(XA, north_m=1800 + (seed - 1) * 800)
        together = _scene(here, f"A{seed}", seed, _buildings(device, here))
        alone = _scene(there, f"B{seed}", seed, _buildings(device, there))
        batch_results = push(device, *together)
        single_results = [_one_by_one(worker, m) for m in alone]
        assert _shape(batch_results, together) == _shape(single_results, alone), (
            batch_results,
            single_results,
        )
        statuses = {r["status"] for r in batch_results}
        assert statuses == {"applied", "merged"}, batch_results
    # The scenes were made to exercise every rule: codes deciding, chains kept apart, floors vetoing.
    reasons = {reason for m in MergeEvent.objects.all() for reason in m.reasons}
    assert {"same credit code", "same building", "same name"} <= reasons
    assert ReviewItem.objects.filter(record_type="organisation").exists()


def test_queries_per_run_do_not_grow_with_the_run(device: APIClient) -> None:
    existing = [organisation(shifted(XA, east_m=200, north_m=n * 60), name=f"老店{n}号") for n in range(30)]
    push(device, *existing)

    def counted(mutations: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        with CaptureQueriesContext(connection) as queries:
            results = push(device, *mutations)
        return results, len(queries)

    def seen_again(n: int) -> dict[str, Any]:
        return organisation(shifted(XA, east_m=204, north_m=n * 60), name=f"厦门市老店{n}号有限公司")

    small, small_queries = counted([seen_again(n) for n in range(3)] + [
        organisation(shifted(XA, east_m=-200, north_m=n * 70), name=f"新店{n}", credit_code=_code("Q1", n))
        for n in range(3)
    ])  # fmt: skip
    large, large_queries = counted([seen_again(n) for n in range(3, 30)] + [
        organisation(shifted(XA, east_m=-200, north_m=n * 70), name=f"新店{n}", credit_code=_code("Q1", n))
        for n in range(3, 40)
    ])  # fmt: skip
    assert [r["status"] for r in small] == ["merged"] * 3 + ["applied"] * 3
    assert [r["status"] for r in large] == ["merged"] * 27 + ["applied"] * 37
    assert small_queries == large_queries <= 25


def test_problems_stay_with_their_mutation(
    device: APIClient, worker: User, api_client: Callable[[Any], APIClient], worker_of: Callable[..., User]
) -> None:
    (theirs,) = push(
        api_client(worker_of("HC-SY-HH-01")), mutation("building", point=HH, address="海虹路1号")
    )
    (taken,) = push(device, organisation(XA, name="先到的店"))
    twice = organisation(shifted(XA, north_m=300), name="同号两次的店")
    second = {**organisation(shifted(XA, north_m=600), name="又一家店"), "id": twice["id"]}
    run = [
        organisation(None, name="看不见的楼里的店", building_id=theirs["id"]),
        organisation(None, name="无处的店"),
        organisation(HH, name="别的网格的店"),
        organisation((100.0, 10.0), name="网格外的店"),
        {**organisation(shifted(XA, north_m=900), name="用了旧号的店"), "id": taken["id"]},
        twice,
        second,
        organisation(shifted(XA, north_m=1200), name="好好的店"),
    ]
    results = push(device, *run)
    assert [r["status"] for r in results] == ["rejected"] * 5 + ["applied", "rejected", "applied"]
    assert list(results[0]["errors"]["data"]) == ["building_id"]
    assert [list(r["errors"]) for r in results[1:5]] == [["location"], ["location"], ["location"], ["id"]]
    assert list(results[6]["errors"]) == ["id"]
    # Each problem is what organisation_collect says of it alone.
    for sent, result in list(zip(run, results, strict=True))[1:5]:
        assert (
            _one_by_one(worker, {**sent, "mutation_id": result["mutation_id"]})["errors"] == result["errors"]
        )
    assert Organisation.objects.filter(name__in=["同号两次的店", "好好的店"]).count() == 2


def test_a_collection_from_another_grid_merges_but_fills_in_no_identity_number(
    device: APIClient, api_client: Callable[[Any], APIClient], worker_of: Callable[..., User]
) -> None:
    code = _code("T1", 1)
    (mine,) = push(device, organisation(XA, name="林记茶行", credit_code=code))
    outsider = api_client(worker_of("HC-SY-HH-01"))
    number = id_number(seq="456")
    results = push(outsider, organisation(HH, name="林记茶行", credit_code=code, legal_rep_id_number=number),
                   organisation(shifted(HH, north_m=200), name="海虹新店"))  # fmt: skip
    assert [r["status"] for r in results] == ["merged", "applied"]
    assert results[0]["id"] == mine["id"] and results[0]["match"] is None  # nothing of the record is quoted
    kept = Organisation.objects.get(pk=mine["id"])
    assert kept.legal_rep_id_number_index == "" and kept.grid.code == "HC-XY-XA-01"
    held = ReviewItem.objects.get(record_id=kept.pk)
    assert "legal_rep_id_number" in held.reasons


def test_merges_of_a_run_are_undone_like_any_other(device: APIClient, make_user: Callable[..., User]) -> None:
    code = _code("U1", 2)
    sent = [
        organisation(XA, name="阿明五金店"),
        organisation(
            shifted(XA, east_m=3), name="厦门市阿明五金店有限公司", credit_code=code, phone="13800001111"
        ),
        organisation(shifted(XA, east_m=5), name="阿明五金店", credit_code=code),
    ]
    first, second, third = push(device, *sent)
    assert [r["status"] for r in (first, second, third)] == ["applied", "merged", "merged"]
    assert [r["version"] for r in (second, third)] == [2, 3] and third["match"]["reasons"] == [
        "same credit code"
    ]
    survivor = Organisation.objects.get(pk=first["id"])
    assert survivor.code_key == code and survivor.phone_index
    assert Observation.objects.filter(record_id=survivor.pk).count() == 3
    assert RecordAlias.objects.filter(canonical_id=survivor.pk).count() == 3
    with pytest.raises(Conflict):  # apart, the two would hold one credit code
        record_unmerge(event=MergeEvent.objects.get(merged_id=sent[2]["id"]), actor=make_user("admin"))
    record_unmerge(event=MergeEvent.objects.get(merged_id=sent[1]["id"]), actor=make_user("admin"))
    survivor.refresh_from_db()
    apart = Organisation.objects.get(pk=sent[1]["id"])
    assert (survivor.code_key, survivor.phone_index, survivor.version) == ("", "", 4)
    assert apart.merged_into_id is None and apart.code_key == code
    assert RecordAlias.objects.get(alias=sent[1]["id"]).canonical_id == apart.pk
