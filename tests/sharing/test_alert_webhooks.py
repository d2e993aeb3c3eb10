"""Watch alerts (人来预警/人走提醒) reach the department of the rule as signed ``person.arrived`` /
``person.left`` webhooks (checked with the ``standardwebhooks`` package): each alert once, only to that
department's endpoints that receive alerts, nothing from a rolled-back arrival, nothing after the rule is
withdrawn; with Celery beat and a real worker end to end; and through a subscription's feed, only the
department's own alerts."""

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from standardwebhooks.webhooks import Webhook

from apps.journal.models import AccessLogEntry
from apps.registry.organisations.alerts import watch_rule_create, watch_rule_update
from apps.registry.organisations.models import Alert, AlertKind
from apps.registry.services import residence_collect, residence_end
from apps.sharing.models import DeliveryStatus, WebhookDelivery
from apps.sharing.services import subscription_create
from apps.sharing.webhooks import alerts_fanout, delivery_attempt, endpoint_create, webhooks_fanout
from tests.live import celery_beat, celery_worker, wait_until
from tests.registry.conftest import id_number
from tests.sharing.conftest import read_feed
from tests.sharing.receiver import Receiver, receiver
from tests.sharing.test_webhooks_fault import private_broker

WATCHED = "community_correction"


@pytest.fixture
def hooks(settings: Any) -> Iterator[Receiver]:
    settings.GRIDAPI_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with receiver() as running:
        yield running


@pytest.fixture
def police(department: Callable[..., Any], territory: Any) -> Any:
    return department(code="HC-GA-XY-T", name="新阳派出所", jurisdiction=territory["HC-XY"])


@pytest.fixture
def rule(police: Any, territory: Any, admin_user: Any) -> Any:
    return watch_rule_create(
        department=police, nodes=[territory["HC-XY"]], actor=admin_user, name="社区矫正对象", tags=[WATCHED],
        kinds=[AlertKind.ARRIVAL, AlertKind.DEPARTURE], purpose="社区矫正对象人来预警、人走提醒",
    )  # fmt: skip


@pytest.fixture
def watched(collect_building: Any, collect_person: Any) -> tuple[Any, Any]:
    building = collect_building(address="新垵村88号").record
    person = collect_person(name="黄明", id_number=id_number(seq="555"), tags=[WATCHED]).record
    return person, building


def verified(received: Any, secret: str) -> dict[str, Any]:
    return dict(Webhook(secret).verify(received.body, received.headers))


def test_an_arrival_and_a_departure_reach_the_rules_department_once_signed(
    rule: Any, police: Any, civil: Any, watched: tuple[Any, Any], hooks: Receiver
) -> None:
    endpoint, secret = endpoint_create(department=police, url=hooks.url)
    endpoint_create(department=police, url=hooks.url + "/cases-only", receives_alerts=False)
    endpoint_create(department=civil, url=hooks.url + "/civil")  # no rule: learns nothing
    person, building = watched
    residence, _ = residence_collect(person=person, building=building, room="302", relation="tenant")
    residence_end(residence=residence, until=dt.date(2026, 12, 1))

    assert webhooks_fanout() == 2
    assert webhooks_fanout() == 0  # each alert once
    deliveries = list(WebhookDelivery.objects.order_by("event_type"))
    assert [(d.endpoint_id, d.event_type, d.subscription_id) for d in deliveries] == [
        (endpoint.pk, "person.arrived", None),
        (endpoint.pk, "person.left", None),
    ]
    assert not Alert.objects.filter(fanned_out_at__isnull=True).exists()
    for delivery in deliveries:
        assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.DELIVERED
    bodies = {body["type"]: body["data"] for body in (verified(r, secret) for r in hooks.received())}
    assert {r.path for r in hooks.received()} == {"/hooks/gridapi"}
    arrival = Alert.objects.get(kind="arrival")
    assert bodies["person.arrived"] == {
        "alert_id": str(arrival.pk), "rule": str(rule.pk), "kind": "arrival", "person_id": str(person.pk),
        "building_id": str(building.pk), "residence_id": str(residence.pk), "grid_id": str(building.grid_id),
        "at": arrival.at.isoformat(), "status": "open",
    }  # fmt: skip
    assert bodies["person.left"]["kind"] == "departure"
    sent = str(bodies)
    assert WATCHED not in sent and "黄明" not in sent  # ids only: neither the tag nor the person's data


def test_an_arrival_rolled_back_emits_nothing(rule: Any, police: Any, watched: tuple[Any, Any],
                                              hooks: Receiver) -> None:  # fmt: skip
    endpoint_create(department=police, url=hooks.url)
    person, building = watched
    raised: list[int] = []

    def arrive_then_fail() -> None:
        with transaction.atomic():
            residence_collect(person=person, building=building, room="302", relation="tenant")
            raised.append(Alert.objects.count())
            raise RuntimeError("the push failed after the write")

    with pytest.raises(RuntimeError):
        arrive_then_fail()
    assert raised == [1] and not Alert.objects.exists()
    assert webhooks_fanout() == 0
    assert not WebhookDelivery.objects.exists()


def test_a_withdrawn_rule_sends_nothing_more(rule: Any, police: Any, admin_user: Any, watched: tuple[Any, Any],
                                             collect_building: Any, hooks: Receiver) -> None:  # fmt: skip
    endpoint_create(department=police, url=hooks.url)
    person, building = watched
    residence_collect(person=person, building=building, room="302", relation="tenant")
    assert webhooks_fanout() == 1
    waiting = WebhookDelivery.objects.get()
    other = collect_building(address="新垵村90号").record
    residence_collect(person=person, building=other, room="1", relation="tenant")  # a second home: raised
    watch_rule_update(rule=rule, actor=admin_user, is_active=False)

    assert webhooks_fanout() == 0  # raised before, fanned out after the withdrawal: not sent
    assert not Alert.objects.filter(fanned_out_at__isnull=True).exists()
    assert delivery_attempt(delivery_id=waiting.pk) == DeliveryStatus.DEAD  # a retry after the withdrawal
    waiting.refresh_from_db()
    assert waiting.last_error == "watch rule ended"
    assert hooks.received() == []


def test_a_feed_of_alerts_sends_the_departments_own_only(rule: Any, police: Any, civil: Any, territory: Any,
                                                         admin_user: Any, watched: tuple[Any, Any], api_key_of: Any,
                                                         api_client: Any, subscribe: Any) -> None:  # fmt: skip
    watch_rule_create(
        department=civil, nodes=[territory["HC-XY"]], actor=admin_user, name="矫正对象帮扶", tags=[WATCHED],
        kinds=[AlertKind.ARRIVAL], purpose="帮扶",
    )  # fmt: skip
    person, building = watched
    residence_collect(person=person, building=building, room="302", relation="tenant")
    mine, theirs = Alert.objects.get(department=police), Alert.objects.get(department=civil)
    subscription = subscription_create(
        department=police, nodes=[territory["HC-XY"]], actor=admin_user, name="预警", record_types=["alert"],
        fields=["alert.kind", "alert.person_id", "alert.status"], purpose="社区矫正对象管控",
    )  # fmt: skip
    client = api_client(api_key_of(police)[1])
    changes, _cursor = read_feed(client, subscription)
    assert changes == [{
        "type": "alert", "id": str(mine.pk), "version": 1, "updated_at": changes[0]["updated_at"], "deleted": False,
        "geometry": None, "data": {"kind": "arrival", "person_id": str(person.pk), "status": "open"},
    }]  # fmt: skip
    base = f"/api/v1/feeds/{subscription.pk}/records/alert"
    assert client.get(f"{base}/{mine.pk}/").status_code == 200
    assert client.get(f"{base}/{theirs.pk}/").status_code == 404
    logged = list(AccessLogEntry.objects.filter(subscription_id=subscription.pk).order_by("id"))
    assert [(e.channel, e.record_type, e.fields, e.record_ids) for e in logged] == [
        ("feed", "alert", ["person_id"], [mine.pk]), ("rest", "alert", ["person_id"], [mine.pk]),
    ]  # fmt: skip

    civil_feed = subscribe(["alert.kind"], record_types=["alert"], nodes=("HC-SY",))  # not where it happened
    assert read_feed(api_client(api_key_of(civil)[1]), civil_feed)[0] == []


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_beat_and_a_real_worker_deliver_arrivals_signed(rule: Any, police: Any, watched: tuple[Any, Any],
                                                        collect_person: Any, hooks: Receiver,
                                                        tmp_path: Path, settings: Any) -> None:  # fmt: skip
    # The alerts' deliveries are made in this process, which queues their tasks on the test broker, not on the
    # worker's private one: the worker's due-scan sends them once their queued lease runs out.
    settings.GRIDAPI_WEBHOOK_QUEUED_SECONDS = 2
    env = {
        "CELERY_BROKER_URL": private_broker(),
        "GRIDAPI_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "GRIDAPI_WEBHOOK_FANOUT_SECONDS": "1",
        "GRIDAPI_WEBHOOK_DUE_SECONDS": "1",
    }
    endpoint, secret = endpoint_create(department=police, url=hooks.url)
    _person, building = watched
    people = [
        collect_person(name=f"矫正对象{i}", id_number=id_number(seq=f"{600 + i}"), tags=[WATCHED]).record
        for i in range(5)
    ]
    hooks.answer(503)  # the first attempt fails: retried with the same webhook-id
    with celery_beat(tmp_path / "beat-schedule", env=env), celery_worker(env=env):
        for person in people:
            residence_collect(person=person, building=building, room="5", relation="tenant")
        assert wait_until(
            lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == len(people),
            timeout=90,
        )
    received = hooks.received()
    assert len(received) == len(people) + 1
    bodies = [verified(r, secret) for r in received]
    assert {b["type"] for b in bodies} == {"person.arrived"}
    assert {b["data"]["person_id"] for b in bodies} == {str(p.pk) for p in people}
    assert len({r.webhook_id for r in received}) == len(people)  # the retry carried the same id
    assert {d.endpoint_id for d in WebhookDelivery.objects.all()} == {endpoint.pk}


@pytest.mark.django_db(transaction=True)
def test_two_fan_outs_at_once_make_each_alert_once(rule: Any, police: Any, watched: tuple[Any, Any],
                                                   collect_person: Any, hooks: Receiver) -> None:  # fmt: skip
    endpoint_create(department=police, url=hooks.url)
    _person, building = watched
    for i in range(40):
        person = collect_person(
            name=f"矫正对象{i}", id_number=id_number(seq=f"{700 + i}"), tags=[WATCHED]
        ).record
        residence_collect(person=person, building=building, room=str(i), relation="tenant")
    barrier = threading.Barrier(2)
    made: list[int] = []

    def fan_out() -> None:
        try:
            barrier.wait()
            made.append(sum(alerts_fanout(limit=5)[0] for _ in range(8)))
        finally:
            connection.close()

    threads = [threading.Thread(target=fan_out) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(made) == 40  # none twice, none left
    assert WebhookDelivery.objects.count() == 40
    assert len({d.payload["alert_id"] for d in WebhookDelivery.objects.all()}) == 40
