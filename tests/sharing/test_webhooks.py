"""Webhooks: signed (checked with the ``standardwebhooks`` package), retried with the same id, dead letters
and replay, 410, event notices, nothing from rolled-back transactions, SSRF refusals.

The department's receiver is a real HTTP server on 127.0.0.1 (``tests.sharing.receiver``), so the tests
allow that host explicitly; without it the loopback address is refused.
"""

import base64
import datetime as dt
from collections.abc import Callable, Iterator
from email.utils import format_datetime
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone, translation
from rest_framework.exceptions import PermissionDenied, ValidationError
from standardwebhooks.webhooks import Webhook

from apps.core.crypto import unseal
from apps.events.models import Event, EventNotice
from apps.sharing.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from apps.sharing.services import subscription_create
from apps.sharing.webhooks import (
    SCHEDULE,
    deliveries_due,
    deliveries_resend_due,
    delivery_attempt,
    delivery_replay,
    endpoint_create,
    url_problem,
    webhooks_fanout,
)
from tests.events.conftest import report, reporter, routing
from tests.live import wait_until
from tests.registry.conftest import XA, shifted
from tests.sharing.receiver import Receiver, receiver

__all__ = ["reporter", "routing"]


@pytest.fixture
def hooks(settings: Any) -> Iterator[Receiver]:
    """A running receiver whose host (127.0.0.1) is allowed despite being loopback."""
    settings.GRIDAPI_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with receiver() as running:
        yield running


def verified(received: Any, secret: str) -> dict[str, Any]:
    """The body of a request after checking its signature as a receiver would (raises if it is wrong)."""
    return dict(Webhook(secret).verify(received.body, received.headers))


def fan_out_until(predicate: Callable[[], bool]) -> None:
    # The feed reads only below the oldest running transaction of the whole cluster, so a concurrent
    # transaction elsewhere can hold a change back for a moment: fan out until it has come through.
    assert wait_until(lambda: webhooks_fanout() >= 0 and predicate(), timeout=30)


@pytest.fixture
def subscribed(routing: Any, territory: Any, admin_user: Any, hooks: Receiver) -> Callable[..., Any]:
    """``subscribed()``: 公安分局 (HC-GA) gets buildings and people of the district by webhook; returns
    (endpoint, secret, subscription) after the first fan-out has set its position."""

    def make(**values: Any) -> Any:
        endpoint, secret = endpoint_create(department=routing["HC-GA"], url=hooks.url, receives_events=False)
        subscription = subscription_create(
            department=routing["HC-GA"], nodes=[territory["350205"]], actor=admin_user, name="实有房屋",
            record_types=["building", "person"], fields=["building.address", "building.use", "person.name"],
            purpose="治安管理", delivery="webhook", endpoint=endpoint, **values,
        )  # fmt: skip
        webhooks_fanout()
        return endpoint, secret, subscription

    return make


def deliveries_of(record_id: Any) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(payload__id=str(record_id)).order_by("created_at"))


# --- SSRF -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:8000/hook", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://10.1.2.3/hook", "private"),
        ("https://192.168.1.20/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://224.0.0.1/hook", "multicast"),
        ("http://240.0.0.1/hook", "reserved"),
        ("http://100.64.0.1/hook", "non-public"),
        ("ftp://203.0.113.9/hook", "http and https"),
        ("http:///hook", "no host"),
    ],
)
def test_url_problem_refuses_what_is_not_a_public_http_address(url: str, why: str) -> None:
    with translation.override("en"):  # the reasons are matched in English
        problem = url_problem(url)
    assert problem is not None and why in problem


def test_url_problem_accepts_a_public_address_and_allowed_hosts(settings: Any) -> None:
    assert url_problem("https://93.184.215.14/hooks?x=1") is None
    settings.GRIDAPI_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    assert url_problem("http://127.0.0.1:9/hook") is None
    assert url_problem("http://localhost/hook") is not None  # only the host named is exempt


def test_a_loopback_endpoint_is_refused_at_creation_unless_allowed(routing: Any, settings: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        endpoint_create(department=routing["HC-GA"], url="http://127.0.0.1:8080/hooks")
    assert "loopback" in str(refused.value.detail)
    assert not WebhookEndpoint.objects.exists()

    settings.GRIDAPI_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    endpoint, secret = endpoint_create(department=routing["HC-GA"], url="http://127.0.0.1:8080/hooks")
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert secret not in endpoint.secret_sealed and unseal(endpoint.secret_sealed) == secret


def test_an_address_refused_at_delivery_time_is_a_dead_letter(routing: Any, api_client: Any, reporter: Any,
                                                              hooks: Receiver, settings: Any) -> None:  # fmt: skip
    event = reported(api_client, reporter)
    endpoint_create(department=event.department, url=hooks.url)
    webhooks_fanout()
    settings.GRIDAPI_WEBHOOK_ALLOWED_HOSTS = []  # as if the name now resolved to a loopback address
    delivery = WebhookDelivery.objects.get()
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.DEAD
    delivery.refresh_from_db()
    assert "refused" in delivery.last_error and "loopback" in delivery.last_error
    assert hooks.received() == []


# --- registry changes -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager")
def test_a_change_is_signed_and_retried_with_the_same_webhook_id(subscribed: Any, hooks: Receiver,
                                                                 collect_building: Any) -> None:  # fmt: skip
    _endpoint, secret, _subscription = subscribed()
    hooks.answer(500)  # then 200
    building = collect_building(address="新垵村12号", use="rental", floors=3).record
    fan_out_until(lambda: bool(deliveries_of(building.pk)))

    [delivery] = deliveries_of(building.pk)
    assert (
        delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1 and delivery.last_status == 500
    )
    wait = delivery.next_attempt_at - hooks.received()[0].at
    assert dt.timedelta(seconds=4.4) <= wait <= dt.timedelta(seconds=5.6)
    assert deliveries_due(limit=10) == []  # not yet

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=30), tick=True):
        assert deliveries_resend_due() == 1  # queued, and (eager) sent
        first, second = hooks.received()
        assert first.webhook_id == second.webhook_id == f"msg_{delivery.pk.hex}"
        bodies = [verified(first, secret), verified(second, secret)]
    assert bodies[0] == bodies[1]
    assert bodies[0]["type"] == "building.changed"
    assert bodies[0]["data"]["id"] == str(building.pk)
    assert bodies[0]["data"]["data"] == {"address": "新垵村12号", "use": "rental"}  # the grant, nothing more
    delivery.refresh_from_db()
    assert (
        delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2 and delivery.last_status == 200
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager")
def test_a_change_in_a_rolled_back_transaction_emits_nothing(subscribed: Any, hooks: Receiver,
                                                             collect_building: Any) -> None:  # fmt: skip
    subscribed()
    rolled_back: list[Any] = []

    def write_then_fail() -> None:
        with transaction.atomic():
            rolled_back.append(collect_building(address="新垵村13号").record.pk)
            raise RuntimeError("the request failed after the write")

    with pytest.raises(RuntimeError):
        write_then_fail()
    committed = collect_building(point=shifted(XA, north_m=400), address="新垵村14号").record
    fan_out_until(lambda: bool(deliveries_of(committed.pk)))  # the fan-out has passed the rolled-back write

    assert deliveries_of(rolled_back[0]) == []
    assert {d.payload["id"] for d in WebhookDelivery.objects.all()} == {str(committed.pk)}
    assert [r.json["data"]["id"] for r in hooks.received()] == [str(committed.pk)]


# --- event notices --------------------------------------------------------------------------------------


def reported(api_client: Any, reporter: Any, point: tuple[float, float] = XA) -> Event:
    event = Event.objects.select_related("department").get(
        pk=report(api_client(reporter), "dispute_neighbour", point)["id"]
    )
    assert event.department is not None
    return event


def test_event_notices_reach_the_departments_endpoint(routing: Any, api_client: Any, reporter: Any,
                                                      hooks: Receiver) -> None:  # fmt: skip
    event = reported(api_client, reporter)
    endpoint, secret = endpoint_create(department=event.department, url=hooks.url)
    endpoint_create(department=event.department, url=hooks.url + "/registry-only", receives_events=False)
    endpoint_create(department=routing["HC-GA"], url=hooks.url + "/police")

    assert webhooks_fanout() == 1
    assert webhooks_fanout() == 0  # each notice once
    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == endpoint and delivery.event_type == "event.dispatched"
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.DELIVERED
    [received] = hooks.received()
    assert received.path == "/hooks/gridapi"
    body = verified(received, secret)
    notice = EventNotice.objects.get(event=event)
    assert body["type"] == "event.dispatched"
    assert body["data"]["event_id"] == str(event.pk) and body["data"]["notice_id"] == str(notice.pk)
    assert notice.fanned_out_at is not None


def test_410_disables_the_endpoint_and_nothing_more_is_sent_to_it(routing: Any, api_client: Any, reporter: Any,
                                                                  hooks: Receiver) -> None:  # fmt: skip
    first = reported(api_client, reporter)
    endpoint, _secret = endpoint_create(department=first.department, url=hooks.url)
    reported(api_client, reporter, shifted(XA, north_m=600))  # far enough not to be a duplicate
    assert webhooks_fanout() == 2
    gone, owed = WebhookDelivery.objects.order_by("created_at")
    hooks.answer(410)

    assert delivery_attempt(delivery_id=gone.pk) == DeliveryStatus.DEAD
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None and "410" in endpoint.disabled_reason
    owed.refresh_from_db()
    assert owed.status == DeliveryStatus.DEAD and "endpoint disabled" in owed.last_error
    assert delivery_attempt(delivery_id=owed.pk) == ""
    reported(api_client, reporter, shifted(XA, north_m=1200))
    assert webhooks_fanout() == 0
    assert deliveries_due(limit=10) == []
    assert len(hooks.received()) == 1


def test_retry_after_is_honoured_when_it_asks_for_longer(routing: Any, api_client: Any, reporter: Any,
                                                         hooks: Receiver) -> None:  # fmt: skip
    event = reported(api_client, reporter)
    endpoint_create(department=event.department, url=hooks.url)
    webhooks_fanout()
    delivery = WebhookDelivery.objects.get()
    hooks.answer(503, headers={"Retry-After": "120"})
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert dt.timedelta(seconds=119) <= delivery.next_attempt_at - timezone.now() <= dt.timedelta(seconds=121)

    with time_machine.travel(delivery.next_attempt_at + dt.timedelta(seconds=1), tick=True):
        in_an_hour = timezone.now() + dt.timedelta(hours=1)
        hooks.answer(429, headers={"Retry-After": format_datetime(in_an_hour, usegmt=True)})
        delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        assert abs(delivery.next_attempt_at - in_an_hour) <= dt.timedelta(seconds=2)
        hooks.answer(503, headers={"Retry-After": "1"})  # shorter than the schedule: the schedule wins
    with time_machine.travel(delivery.next_attempt_at + dt.timedelta(seconds=1), tick=True):
        delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        wait = delivery.next_attempt_at - timezone.now()
        assert SCHEDULE[2] * 0.89 <= wait <= SCHEDULE[2] * 1.11
    assert delivery.attempts == 3 and delivery.last_status == 503


def test_a_dead_letter_after_the_schedule_and_its_replay_by_an_administrator(
    routing: Any, api_client: Any, reporter: Any, hooks: Receiver, admin_user: Any
) -> None:
    event = reported(api_client, reporter)
    endpoint_create(department=event.department, url=hooks.url)
    webhooks_fanout()
    delivery = WebhookDelivery.objects.get()
    hooks.default = 500
    for step in [*SCHEDULE, None]:
        # (a new row is left to the task queued at its creation for one claim lease)
        due = max(delivery.next_attempt_at, delivery.claimed_until or delivery.next_attempt_at)
        with time_machine.travel(due + dt.timedelta(seconds=1), tick=True):
            assert deliveries_due(limit=10) == [delivery.pk]
            sent_at = timezone.now()
            delivery_attempt(delivery_id=delivery.pk)
            delivery.refresh_from_db()
        if step is not None:
            assert delivery.status == DeliveryStatus.PENDING
            assert step * 0.89 <= delivery.next_attempt_at - sent_at <= step * 1.11
    assert delivery.status == DeliveryStatus.DEAD and delivery.attempts == len(SCHEDULE) + 1
    assert delivery.last_status == 500 and delivery.last_error == "HTTP 500"
    assert sum(SCHEDULE, dt.timedelta()) > dt.timedelta(days=3)
    assert deliveries_due(limit=10, now=timezone.now() + dt.timedelta(days=30)) == []

    with pytest.raises(PermissionDenied):
        delivery_replay(delivery=delivery, actor=reporter)
    replayed = delivery_replay(delivery=delivery, actor=admin_user)
    assert replayed.pk == delivery.pk and replayed.status == DeliveryStatus.PENDING and replayed.attempts == 0
    with pytest.raises(ValidationError):
        delivery_replay(delivery=delivery, actor=admin_user)  # only a dead letter
    hooks.default = 200
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.DELIVERED
    assert {r.webhook_id for r in hooks.received()} == {f"msg_{delivery.pk.hex}"}
    assert len(hooks.received()) == len(SCHEDULE) + 2


def test_a_queued_delivery_waiting_in_a_backlog_is_not_queued_again(
    routing: Any, api_client: Any, reporter: Any, hooks: Receiver, settings: Any
) -> None:
    """A delivery's task may wait in the queue far longer than a send's claim: the due-scan leaves it to that
    task for the queued lease, and queues it again only when the task must have been lost."""
    settings.GRIDAPI_WEBHOOK_CLAIM_SECONDS, settings.GRIDAPI_WEBHOOK_QUEUED_SECONDS = 5, 300
    event = reported(api_client, reporter)
    endpoint_create(department=event.department, url=hooks.url)
    webhooks_fanout()
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    for waited in (6, 60, 290):  # a backlog of minutes: each scan leaves it alone
        assert deliveries_due(limit=10, now=now + dt.timedelta(seconds=waited)) == []
    assert deliveries_due(limit=10, now=now + dt.timedelta(seconds=301)) == [delivery.pk]
    assert deliveries_due(limit=10, now=now + dt.timedelta(seconds=400)) == []  # queued again: a new lease


def test_a_delivery_left_by_a_dead_worker_is_sent_again_once_its_claim_runs_out(
    routing: Any, api_client: Any, reporter: Any, hooks: Receiver
) -> None:
    event = reported(api_client, reporter)
    endpoint_create(department=event.department, url=hooks.url)
    webhooks_fanout()
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    # as a worker that claimed it and died mid-attempt left it
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, claimed_until=now + dt.timedelta(seconds=60)
    )
    assert deliveries_due(limit=10, now=now + dt.timedelta(seconds=30)) == []
    with time_machine.travel(now + dt.timedelta(seconds=61), tick=True):
        assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.DELIVERED
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and len(hooks.received()) == 1

    # one that kills its worker on every attempt ends as a dead letter instead of looping
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, attempts=len(SCHEDULE) + 1, claimed_until=now
    )
    assert deliveries_due(limit=10, now=now + dt.timedelta(seconds=1)) == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD and "worker was lost" in delivery.last_error
