"""Feeds: a department reads exactly what its subscription grants, never-skip, with scope tombstones."""

from typing import Any

import pytest

from apps.core.identity import mask_id_number
from apps.journal.models import AccessLogEntry
from apps.registry.services import ObservationMeta, building_update
from apps.sharing.services import subscription_update
from tests.sharing.conftest import ID_NUMBER, PHONE, read_feed


def by_id(changes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in changes}


def test_feed_sends_the_scope_projected_to_the_grant(records: Any, subscribe: Any, civil_client: Any) -> None:
    subscription = subscribe(["person.name", "person.id_number", "person.tags", "building.address"],
                             record_types=["building", "person"])  # fmt: skip
    changes, _cursor = read_feed(civil_client, subscription)
    seen = by_id(changes)
    assert str(records["far"].pk) not in seen  # 海虹社区 is outside 新阳街道
    elder = seen[str(records["elder"].pk)]
    assert elder["data"] == {"name": "陈阿婆", "id_number": ID_NUMBER, "tags": ["elderly_alone"],
                             "phone": "138****5678"}  # fmt: skip
    assert elder["geometry"] is None  # where a person lives is not granted
    building = seen[str(records["building"].pk)]
    assert building["data"] == {"address": "新垵村529号"} and building["geometry"] is None
    logged = AccessLogEntry.objects.get(record_ids__contains=[records["elder"].pk])
    assert logged.fields == ["id_number", "tags"] and logged.channel == "feed"
    assert logged.subscription_id == subscription.pk and logged.purpose == "独居老人关爱服务"
    assert not AccessLogEntry.objects.filter(
        record_ids__contains=[records["tenant"].pk]
    ).exists()  # nothing protected revealed


@pytest.mark.django_db(transaction=True)  # feeds read committed journal entries only
def test_changes_follow_and_scope_changes_send_tombstones(records: Any, subscribe: Any, civil_client: Any,
                                                          worker: Any, admin_user: Any, territory: Any) -> None:  # fmt: skip
    subscription = subscribe(["building.address", "building.floors"], record_types=["building"])
    _changes, cursor = read_feed(civil_client, subscription)
    building = records["building"]
    building_update(building=building, changes={"floors": 6}, expected_version=building.version,
                    meta=ObservationMeta(collector=worker), payload={})  # fmt: skip
    changes, cursor = read_feed(civil_client, subscription, cursor)
    assert [(c["id"], c["data"]["floors"]) for c in changes] == [(str(building.pk), 6)]
    subscription_update(subscription=subscription, actor=admin_user, nodes=[territory["HC-SY"]])
    changes, cursor = read_feed(civil_client, subscription, cursor)
    assert {c["id"] for c in changes if c.get("reason") == "out_of_scope"} == {str(building.pk)}
    assert str(records["far"].pk) in {c["id"] for c in changes if not c["deleted"]}


def test_row_filter_keeps_only_tagged_people(records: Any, subscribe: Any, civil_client: Any) -> None:
    subscription = subscribe(["person.name", "residence.room"], record_types=["person", "residence"],
                             person_tags=["elderly_alone"])  # fmt: skip
    changes, _cursor = read_feed(civil_client, subscription)
    live = {c["id"] for c in changes if not c["deleted"]}
    assert live == {str(records["elder"].pk), str(records["residence"].pk)}
    assert by_id(changes)[str(records["tenant"].pk)]["reason"] == "out_of_scope"


def test_a_department_reads_only_its_own_subscriptions(records: Any, subscribe: Any, department: Any,
                                                       api_key_of: Any, api_client: Any, worker: Any) -> None:  # fmt: skip
    subscription = subscribe(["building.address"])
    _key, other_secret = api_key_of(department(code="HC-GA"))
    assert api_client(other_secret).get(f"/api/v1/feeds/{subscription.pk}/changes/").status_code == 404
    assert api_client(worker).get(f"/api/v1/feeds/{subscription.pk}/changes/").status_code == 403


def test_a_cursor_of_another_subscription_is_gone(records: Any, subscribe: Any, civil_client: Any) -> None:
    first, second = subscribe(["building.address"]), subscribe(["building.name"])
    _changes, cursor = read_feed(civil_client, first)
    response = civil_client.get(f"/api/v1/feeds/{second.pk}/changes/", {"cursor": cursor})
    assert response.status_code == 410


@pytest.mark.parametrize("kind", ["person", "building", "residence"])
def test_one_record_through_rest_is_projected_the_same_way(records: Any, subscribe: Any, civil_client: Any,
                                                           kind: str) -> None:  # fmt: skip
    subscription = subscribe(["person.name", "person.phone", "building.use", "residence.relation"],
                             record_types=["building", "person", "residence"])  # fmt: skip
    record = {"person": records["elder"], "building": records["building"], "residence": records["residence"]}[
        kind
    ]
    body = civil_client.get(f"/api/v1/feeds/{subscription.pk}/records/{kind}/{record.pk}/").json()
    expected = {"person": {"name": "陈阿婆", "phone": PHONE, "id_number": mask_id_number(ID_NUMBER)},
                "building": {"use": "rental"}, "residence": {"relation": "owner"}}[kind]  # fmt: skip
    assert body["data"] == expected
    far = civil_client.get(f"/api/v1/feeds/{subscription.pk}/records/building/{records['far'].pk}/")
    assert far.status_code == 404
