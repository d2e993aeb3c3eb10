"""Watch rules and alerts (人来预警/人走提醒): raised once per move and rule, only inside the rule's territory,
access-logged, acknowledged by the department; rules audited."""

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.journal.models import AccessLogEntry
from apps.registry.models import Residence
from apps.registry.organisations.alerts import alerts_raise, watch_rule_create, watch_rule_update
from apps.registry.organisations.models import Alert, AlertKind, WatchRuleAudit
from apps.registry.services import residence_collect, residence_end
from tests.registry.conftest import id_number

pytestmark = pytest.mark.django_db

Collect = Callable[..., Any]
WATCHED = "community_correction"


@pytest.fixture
def police(department: Callable[..., Any]) -> Any:
    return department(code="HC-GA-XY-T", name="新阳派出所")


@pytest.fixture
def rule(police: Any, territory: dict[str, Any], admin_user: Any) -> Any:
    return watch_rule_create(
        department=police, nodes=[territory["HC-XY"]], actor=admin_user, name="社区矫正对象", tags=[WATCHED],
        kinds=[AlertKind.ARRIVAL, AlertKind.DEPARTURE], purpose="社区矫正对象人来预警、人走提醒",
    )  # fmt: skip


@pytest.fixture
def watched(collect_building: Collect, collect_person: Collect) -> tuple[Any, Any]:
    building = collect_building().record
    person = collect_person(name="黄明", id_number=id_number(seq="555"), tags=[WATCHED]).record
    return person, building


def test_arrival_raises_one_alert_however_often_it_is_replayed(rule: Any, watched: tuple[Any, Any]) -> None:
    person, building = watched
    for _ in range(5):
        residence_collect(person=person, building=building, room="302", relation="tenant")
    assert Residence.objects.filter(person=person).count() == 1
    alert = Alert.objects.get()
    assert (alert.kind, alert.rule_id, alert.person_id, alert.department_id) == (
        "arrival",
        rule.pk,
        person.pk,
        rule.department_id,
    )
    residence = Residence.objects.get()
    assert alerts_raise(residence=residence, kind=AlertKind.ARRIVAL) == []
    assert Alert.objects.count() == 1


def test_departure_raises_one_alert(rule: Any, watched: tuple[Any, Any]) -> None:
    person, building = watched
    residence, _ = residence_collect(person=person, building=building, room="302", relation="tenant")
    residence_end(residence=residence, until=dt.date(2026, 12, 1))
    assert sorted(Alert.objects.values_list("kind", flat=True)) == ["arrival", "departure"]


def test_each_alert_is_access_logged_for_the_department(rule: Any, watched: tuple[Any, Any]) -> None:
    person, building = watched
    residence_collect(person=person, building=building, room="302", relation="tenant")
    entry = AccessLogEntry.objects.get(department_id=rule.department_id)
    assert entry.record_type == "person" and entry.fields == ["tags"] and entry.record_ids == [person.pk]
    assert "社区矫正对象" in entry.purpose


def test_no_alert_outside_the_rules_territory(
    police: Any, territory: dict[str, Any], admin_user: Any, watched: tuple[Any, Any]
) -> None:
    watch_rule_create(
        department=police, nodes=[territory["HC-SY"]], actor=admin_user, name="别处", tags=[WATCHED],
        kinds=[AlertKind.ARRIVAL], purpose="别处的规则",
    )  # fmt: skip
    person, building = watched
    residence_collect(person=person, building=building, room="302", relation="tenant")
    assert not Alert.objects.exists()


def test_no_alert_for_people_without_the_watched_tag(
    rule: Any, collect_building: Collect, collect_person: Collect
) -> None:
    building = collect_building().record
    person = collect_person(name="李四", tags=["veteran"]).record
    residence_collect(person=person, building=building, room="1", relation="tenant")
    assert not Alert.objects.exists()


def test_first_collection_with_a_residence_is_an_arrival(
    rule: Any, collect_building: Collect, collect_person: Collect
) -> None:
    building = collect_building().record
    collect_person(
        name="王五",
        tags=[WATCHED],
        residence={"building_id": building.pk, "room": "101", "relation": "tenant"},
    )
    assert Alert.objects.filter(kind="arrival").count() == 1


def test_rules_are_audited(rule: Any, admin_user: Any) -> None:
    watch_rule_update(rule=rule, actor=admin_user, is_active=False)
    actions = list(WatchRuleAudit.objects.filter(rule=rule).order_by("id").values_list("action", flat=True))
    assert actions == ["created", "deactivated"]
    assert WatchRuleAudit.objects.filter(rule=rule, action="deactivated").get().before["is_active"] is True


def test_acknowledged_by_the_department_others_do_not_see_it(
    rule: Any, watched: tuple[Any, Any], police: Any, department: Callable[..., Any],
    api_key_of: Callable[..., Any], api_client: Callable[[Any], APIClient],
) -> None:  # fmt: skip
    person, building = watched
    residence_collect(person=person, building=building, room="302", relation="tenant")
    alert = Alert.objects.get()
    other = api_client(api_key_of(department(code="HC-MZ-T"))[1])
    assert other.get("/api/v1/alerts/").json()["results"] == []
    assert other.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 404
    mine = api_client(api_key_of(police)[1])
    listed = mine.get("/api/v1/alerts/").json()["results"]
    assert [a["id"] for a in listed] == [str(alert.pk)]
    acknowledged = mine.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "acknowledged"
    assert mine.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 409


def test_grid_worker_sees_the_alerts_of_the_grid(
    rule: Any, watched: tuple[Any, Any], client: APIClient, api_client: Callable[[Any], APIClient],
    worker_of: Callable[..., Any],
) -> None:  # fmt: skip
    person, building = watched
    residence_collect(person=person, building=building, room="302", relation="tenant")
    assert len(client.get("/api/v1/alerts/").json()["results"]) == 1
    assert api_client(worker_of("HC-SY-HH-01")).get("/api/v1/alerts/").json()["results"] == []


def test_watch_rules_over_http_are_admin_only(
    police: Any, admin_user: Any, client: APIClient, api_client: Callable[[Any], APIClient]
) -> None:
    body = {
        "name": "严重精神障碍患者", "department": police.code, "tags": ["mental_disorder"], "nodes": ["HC-XY"],
        "kinds": ["arrival"], "purpose": "人来预警",
    }  # fmt: skip
    assert client.post("/api/v1/watch-rules/", body, format="json").status_code == 403
    admin = api_client(admin_user)
    created = admin.post("/api/v1/watch-rules/", body, format="json")
    assert created.status_code == 201, created.json()
    assert (
        admin.post(
            "/api/v1/watch-rules/", {**body, "tags": ["nope"], "purpose": ""}, format="json"
        ).status_code
        == 400
    )
    changed = admin.patch(
        f"/api/v1/watch-rules/{created.json()['id']}/", {"kinds": ["arrival", "departure"]}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_arrivals_raise_one_alert(rule: Any, watched: tuple[Any, Any]) -> None:
    person, building = watched
    residence = Residence.objects.create(person=person, building=building, room="9", relation="tenant")
    barrier = threading.Barrier(2)
    results: list[int] = []

    def run() -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                barrier.wait()
                results.append(
                    len(
                        alerts_raise(
                            residence=Residence.objects.select_related("person", "building").get(
                                pk=residence.pk
                            ),
                            kind=AlertKind.ARRIVAL,
                        )
                    )
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1]
    assert Alert.objects.count() == 1


def test_the_watched_tag_reaches_no_party_without_the_grant(
    rule: Any, watched: tuple[Any, Any], department: Callable[..., Any], api_key_of: Callable[..., Any],
    api_client: Callable[[Any], APIClient], worker_of: Callable[..., Any], make_user: Callable[..., Any],
) -> None:  # fmt: skip
    person, building = watched
    residence_collect(person=person, building=building, room="302", relation="tenant")
    alert = Alert.objects.get()
    outsiders = [
        api_client(api_key_of(department(code="HC-MZ-T2"))[1]),
        api_client(worker_of("HC-SY-HH-01")),
        api_client(make_user("department_staff")),
    ]
    paths = ["/api/v1/alerts/", f"/api/v1/alerts/{alert.pk}/", "/api/v1/watch-rules/", f"/api/v1/watch-rules/{rule.pk}/",
             f"/api/v1/people/{person.pk}/", "/api/v1/people/"]  # fmt: skip
    for client in outsiders:
        for path in paths:
            body = client.get(path).content.decode()
            assert WATCHED not in body and rule.name not in body, (path, body)


def test_alerts_wait_for_webhook_fan_out_with_their_payload(rule: Any, watched: tuple[Any, Any]) -> None:
    from apps.registry.organisations.alerts import WEBHOOK_EVENT_TYPES, alert_payload, alerts_to_fan_out

    person, building = watched
    residence_collect(person=person, building=building, room="302", relation="tenant")
    (alert,) = alerts_to_fan_out(limit=10)
    assert WEBHOOK_EVENT_TYPES[alert.kind] == "person.arrived"
    assert alert_payload(alert)["person_id"] == str(person.pk) and alert_payload(alert)["kind"] == "arrival"


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_two_devices_pushing_the_arrival_at_once_with_replays_raise_one_alert(
    rule: Any, watched: tuple[Any, Any], worker_of: Callable[..., Any]
) -> None:
    """Two devices push the same move-in at the same moment (each its own mutation), then each re-sends its
    batch twice (a lost answer): one residence, one alert, through gunicorn."""
    import httpx

    from apps.accounts.services import device_token_issue
    from tests.factories import TEST_PASSWORD
    from tests.live import gunicorn
    from tests.sync.conftest import mutation

    person, building = watched
    data = {"person_id": str(person.pk), "building_id": str(building.pk), "room": "302", "relation": "tenant"}
    batches, tokens = [], []
    for n in range(2):
        user = worker_of("HC-XY-XA-01")
        tokens.append(
            device_token_issue(username=user.username, password=TEST_PASSWORD, device_id=f"m{n}").secret
        )
        batches.append({"device_id": f"m{n}", "mutations": [mutation("residence", point=None, **data)]})
    barrier = threading.Barrier(2)
    statuses: list[str] = []

    def device(n: int) -> None:
        with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {tokens[n]}"}) as client:
            barrier.wait()
            for _send in range(3):
                response = client.post(f"{base}/api/v1/sync/push/", json=batches[n])
                assert response.status_code == 200, response.text
                statuses.append(response.json()["results"][0]["status"])

    with gunicorn(workers=2, threads=2) as base:
        threads = [threading.Thread(target=device, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(statuses) == 6 and set(statuses) <= {"applied", "merged"}, statuses
    assert Residence.objects.filter(person=person, until__isnull=True).count() == 1
    assert Alert.objects.filter(person=person, kind="arrival").count() == 1
