"""Runs of new buildings are collected together: the same answers as one by one, in a bounded number of queries."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.journal.models import JournalEntry
from apps.registry.models import Building, MergeEvent, Observation, RecordAlias, ReviewItem
from apps.registry.services import record_unmerge
from apps.sync.services import records as sync_records
from tests.sync.conftest import XA, collect_building, mutation, push, shifted

pytestmark = pytest.mark.django_db
__all__ = ["collect_building"]


def _scene(origin: tuple[float, float], count: int) -> list[dict[str, Any]]:
    """New buildings 120 m apart, each followed by the same building seen again a few metres away."""
    mutations = []
    for n in range(count):
        point = shifted(origin, north_m=n * 120)
        mutations.append(mutation("building", point=point, address=f"新垵村{700 + n}号"))
        mutations.append(
            mutation("building", point=shifted(point, east_m=6), address=f"新垵村{700 + n}号", use="rental")
        )
    return mutations


def _push_counting(device: APIClient, mutations: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    with CaptureQueriesContext(connection) as queries:
        results = push(device, *mutations)
    return results, len(queries)


def test_queries_per_batch_do_not_grow_with_the_batch(device: APIClient, collect_building: Any) -> None:
    for n in range(40):  # existing buildings the batches match against
        collect_building(point=shifted(XA, east_m=250, north_m=n * 80), address=f"新垵村{900 + n}号")
    small = [mutation("building", point=shifted(XA, east_m=255, north_m=n * 80), address=f"新垵村{900 + n}号")
             for n in range(5)] + _scene(shifted(XA, east_m=-250, north_m=2400), 3)  # fmt: skip
    large = [mutation("building", point=shifted(XA, east_m=255, north_m=n * 80), address=f"新垵村{900 + n}号")
             for n in range(5, 40)] + _scene(shifted(XA, east_m=-250), 15)  # fmt: skip
    small_results, small_queries = _push_counting(device, small)
    large_results, large_queries = _push_counting(device, large)
    assert {r["status"] for r in small_results + large_results} == {"applied", "merged"}
    assert sum(r["status"] == "merged" for r in large_results) == 35 + 15
    assert small_queries == large_queries <= 25


def test_a_batch_answers_as_one_by_one_would(device: APIClient) -> None:
    together = _scene(XA, 4)
    alone = _scene(shifted(XA, north_m=2000), 4)
    batch_results = push(device, *together)
    single_results = [push(device, m)[0] for m in alone]

    def shape(results: list[dict[str, Any]], mutations: list[dict[str, Any]]) -> list[Any]:
        ids = {m["id"]: n for n, m in enumerate(mutations)}
        return [(r["status"], r["version"], ids.get(r["id"]), r["match"]) for r in results]

    assert shape(batch_results, together) == shape(single_results, alone)
    assert [r["status"] for r in batch_results] == ["applied", "merged"] * 4


def test_merges_into_one_record_in_one_batch_keep_every_version(
    device: APIClient, collect_building: Any
) -> None:
    survivor = collect_building(point=XA, address="新垵村529号").record
    seen = [
        mutation("building", point=shifted(XA, east_m=4), address="新垵村529号", use="rental"),
        mutation("building", point=shifted(XA, east_m=8), address="新垵村529号", name="林宅", floors=4),
        mutation("building", point=shifted(XA, east_m=2), address="新垵村529号", floors=5),
    ]
    results = push(device, *seen)
    assert [(r["status"], r["version"], r["id"]) for r in results] == [
        ("merged", 2, str(survivor.pk)), ("merged", 3, str(survivor.pk)), ("merged", 4, str(survivor.pk)),
    ]  # fmt: skip
    survivor.refresh_from_db()
    assert (survivor.version, survivor.use, survivor.name, survivor.floors) == (4, "rental", "林宅", 4)
    assert survivor.alternatives["floors"][0]["value"] == 5
    journal = JournalEntry.objects.filter(record_id=survivor.pk).order_by("id")
    assert [(e.version, e.fields) for e in journal] == [
        (1, []),
        (2, ["use"]),
        (3, ["floors", "name"]),
        (4, []),
    ]
    for m in seen:
        assert RecordAlias.objects.get(alias=m["id"]).canonical_id == survivor.pk
        assert Building.objects.get(pk=m["id"]).merged_into_id == survivor.pk
    assert Observation.objects.filter(record_id=survivor.pk).count() == 4
    # Each merge undoes exactly: the last one first.
    last = MergeEvent.objects.get(merged_id=seen[2]["id"])
    record_unmerge(event=last, actor=None)
    survivor.refresh_from_db()
    assert survivor.floors == 4 and "floors" not in (survivor.alternatives or {})


def test_problems_stay_with_their_mutation(device: APIClient, collect_building: Any) -> None:
    taken = collect_building(point=shifted(XA, north_m=600), address="新垵村1号").record
    good = mutation("building", address="新垵村529号")
    same_id = mutation("building", record_id=taken.pk, point=shifted(XA, north_m=900), address="新垵村2号")
    outside = mutation("building", point=(116.4, 39.9), address="北京")
    elsewhere = mutation("building", point=(118.0550, 24.4350), address="海虹1号")
    no_landlord = mutation("building", point=shifted(XA, north_m=1200), address="新垵村3号",
                           landlord_id=str(taken.pk))  # fmt: skip
    bad_data = mutation("building", point=shifted(XA, north_m=1500), address="")
    repeated_id = mutation(
        "building", record_id=good["id"], point=shifted(XA, north_m=1800), address="新垵村4号"
    )
    later = mutation("building", point=shifted(XA, north_m=2100), address="新垵村5号")
    results = push(device, good, same_id, outside, elsewhere, no_landlord, bad_data, repeated_id, later)
    assert [r["status"] for r in results] == ["applied"] + ["rejected"] * 6 + ["applied"]
    assert [next(iter(r["errors"])) for r in results[1:7]] == [
        "id",
        "location",
        "location",
        "landlord_id",
        "data",
        "id",
    ]
    assert results[2]["errors"] != results[3]["errors"]  # outside every grid / outside the worker's grids
    assert Building.objects.count() == 3


def test_runs_keep_their_place_among_other_mutations(device: APIClient) -> None:
    home = mutation("building", address="新垵村529号")
    tenant = mutation("person", point=None, name="王芳", residence={"building_id": home["id"], "room": "302"})
    again = mutation("building", point=shifted(XA, east_m=5), address="新垵村529号")
    update = mutation("building", "update", record_id=again["id"], base=2, point=None, floors=7)
    results = push(device, home, tenant, again, home, update)
    assert [r["status"] for r in results] == ["applied", "applied", "merged", "applied", "applied"]
    assert results[3] == results[0]  # the same mutation twice in a batch: one effect, one answer
    assert (results[4]["id"], results[4]["version"]) == (home["id"], 3)
    assert Building.objects.get(pk=home["id"]).floors == 7


def test_a_failed_run_is_applied_one_by_one(device: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def deadlock(**_kwargs: Any) -> Any:
        raise DatabaseError("deadlock detected")

    monkeypatch.setattr(sync_records, "buildings_collect_batch", deadlock)
    results = push(device, *_scene(XA, 2))
    assert [r["status"] for r in results] == ["applied", "merged"] * 2
    assert Building.objects.filter(merged_into__isnull=True).count() == 2


def test_a_full_batch_of_a_thousand_buildings(device: APIClient) -> None:
    """The largest batch the protocol allows (7,000 cell locks and more, in one statement)."""
    mutations = [
        mutation("building", point=shifted(XA, east_m=-250 + (n % 25) * 20, north_m=(n // 25) * 90),
                 address=f"新垵村{n // 2 if n % 2 else 5000 + n}号")
        for n in range(1000)
    ]  # fmt: skip
    results = push(device, *mutations)
    assert len(results) == 1000 and {r["status"] for r in results} <= {"applied", "merged"}
    created = sum(r["status"] == "applied" for r in results)
    assert Building.objects.filter(merged_into__isnull=True).count() == created
    assert Building.objects.count() == RecordAlias.objects.count() == 1000
    assert JournalEntry.objects.filter(record_type="building").count() == 1000


def test_near_misses_are_queued_for_review_as_one_by_one(device: APIClient, collect_building: Any) -> None:
    """Candidates near the edge of the matching radius: scored, not merged, queued — in a batch or alone."""
    answers = []
    for origin, together in ((XA, True), (shifted(XA, north_m=2000), False)):
        collect_building(point=origin, address="新垵村529号", name="林宅")
        seen = [
            mutation("building", point=shifted(origin, east_m=45), address="新垵村529号"),
            mutation("building", point=shifted(origin, north_m=78), address="新垵村529号", name="林宅"),
            mutation("building", point=shifted(origin, north_m=95), address="新垵村529号"),
        ]
        results = push(device, *seen) if together else [push(device, m)[0] for m in seen]
        answers.append([(r["status"], r["match"]) for r in results])
    assert answers[0] == answers[1]
    assert [status for status, _match in answers[0]] == ["applied", "applied", "merged"]
    assert answers[0][2][1]["reasons"][0] == "same address"  # the third is 17 m from the second
    # 45 m and 78 m from the first: alike enough to ask a dispatcher, not to merge (two per origin).
    assert ReviewItem.objects.count() == 4


Scene = Callable[
    [tuple[float, float], str], tuple[list[Any], list[tuple[tuple[float, float], dict[str, Any]]]]
]


def _label(record_id: Any, existing: list[Any], submitted: list[Any]) -> str:
    if record_id in existing:
        return f"E{existing.index(record_id)}"
    return f"m{submitted.index(record_id)}"


def _together_and_alone(
    device: APIClient, collect_building: Any, scene: Scene, caplog: pytest.LogCaptureFixture
) -> tuple[list[Any], list[Any]]:
    """The scene's collections pushed in one batch, and the same scene elsewhere collected one by one:
    (status, record as E<existing> or m<mutation>, score) of each."""
    existing, collected = scene(XA, "3502050001")
    mutations = [mutation("building", point=point, **data) for point, data in collected]
    submitted = [uuid.UUID(m["id"]) for m in mutations]
    together = [
        (r["status"], _label(uuid.UUID(r["id"]), existing, submitted), (r["match"] or {}).get("score"))
        for r in push(device, *mutations)
    ]
    assert "one by one" not in caplog.text  # decided by the batch, not by its fallback

    existing, collected = scene(shifted(XA, north_m=2000), "3502050002")
    alone, submitted = [], []
    for point, data in collected:
        outcome = collect_building(point=point, **data)
        submitted.append(outcome.record.pk if outcome.created else outcome.observation.submitted_id)
        alone.append((
            "applied" if outcome.created else "merged", _label(outcome.record.pk, existing, submitted),
            outcome.match.score if outcome.match and not outcome.created else None,
        ))  # fmt: skip
    return together, alone


def test_vetoes_and_standard_codes_decide_as_one_by_one(
    device: APIClient, collect_building: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The batch reads only candidates no veto rules out: the same decisions as the one-by-one service."""

    def scene(origin: tuple[float, float], code: str) -> tuple[list[Any], list[Any]]:
        existing = [
            collect_building(point=origin, address="新垵村10号"),
            collect_building(
                point=shifted(origin, north_m=600), address="新垵村20号", address_code=f"{code}-20"
            ),
            collect_building(point=shifted(origin, north_m=900), address="新垵村30号3栋"),
        ]
        collected = [
            (shifted(origin, east_m=5), {"address": "新垵村11号"}),  # another house number: a new building
            (shifted(origin, east_m=5), {"address": "新垵村10号"}),  # the same house: merged
            (
                shifted(origin, east_m=150, north_m=400),
                {"address": "新垵村99号", "address_code": f"{code}-20"},
            ),  # same code, afar (250 m: within GRIDAPI_MATCH_CODE_MAX_DISTANCE_M)
            (shifted(origin, east_m=4, north_m=600), {"address": "新垵村20号", "address_code": f"{code}-21"}),
            (shifted(origin, east_m=4, north_m=900), {"address": "新垵村30号4栋"}),  # another block
            (shifted(origin, east_m=8), {"address": "新垵村"}),  # no house number: scored on the rest
            (shifted(origin, east_m=7), {"address": "新垵村11号"}),  # the building created first in the batch
            (shifted(origin, east_m=-4, north_m=900), {"address": "新垵村30号3栋"}),  # the same block: merged
        ]
        return [outcome.record.pk for outcome in existing], collected

    together, alone = _together_and_alone(device, collect_building, scene, caplog)
    assert together == alone
    decided = [(status, where) for status, where, _score in together]
    assert decided[:5] == [
        ("applied", "m0"),
        ("merged", "E0"),
        ("merged", "E1"),
        ("applied", "m3"),
        ("applied", "m4"),
    ]
    assert decided[6:] == [("merged", "m0"), ("merged", "E2")]


def test_what_a_merge_fills_in_decides_the_later_collections_of_the_batch(
    device: APIClient, collect_building: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A standard code or a name that a merge fills in on an existing building counts for the collections
    after it in the same batch, as it does one by one."""

    def scene(origin: tuple[float, float], code: str) -> tuple[list[Any], list[Any]]:
        existing = [
            collect_building(point=origin, address="新垵村10号"),
            collect_building(point=shifted(origin, north_m=300), address="新垵村20号"),
        ]
        collected = [
            (
                shifted(origin, east_m=5),
                {"address": "新垵村10号", "address_code": f"{code}-10"},
            ),  # fills E0's code
            (
                shifted(origin, east_m=6),
                {"address": "新垵村10号", "address_code": f"{code}-11"},
            ),  # another code
            (
                shifted(origin, north_m=150),
                {"address": "新垵村77号", "address_code": f"{code}-10"},
            ),  # E0's code, afar
            (
                shifted(origin, east_m=3, north_m=300),
                {"address": "新垵村20号", "name": "林宅"},
            ),  # fills E1's name
            (
                shifted(origin, east_m=9, north_m=300),
                {"address": "新垵村20号", "name": "陈宅"},
            ),  # another name
        ]
        return [outcome.record.pk for outcome in existing], collected

    together, alone = _together_and_alone(device, collect_building, scene, caplog)
    assert together == alone
    assert [(status, where) for status, where, _score in together] == [
        ("merged", "E0"),
        ("applied", "m1"),
        ("merged", "E0"),
        ("merged", "E1"),
        ("applied", "m4"),
    ]
