"""Webhook delivery at its edges: odd Retry-After headers, a grant narrowed or a subscription or department
ended while deliveries wait, and webhook URLs whose IPv6 address carries a private IPv4 one."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.utils import timezone, translation
from standardwebhooks.webhooks import Webhook

from apps.departments.models import Department
from apps.sharing.models import DeliveryStatus, WebhookDelivery
from apps.sharing.services import subscription_update
from apps.sharing.webhooks import (
    deliveries_resend_due,
    delivery_attempt,
    endpoint_create,
    url_problem,
    webhooks_fanout,
)
from tests.live import wait_until
from tests.sharing.conftest import ID_NUMBER, PHONE
from tests.sharing.receiver import Receiver, receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooks(settings: Any) -> Iterator[Receiver]:
    settings.GRIDAPI_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with receiver() as running:
        yield running


def owed(endpoint: Any) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="event.dispatched",
        payload={"event_id": "x"},
        next_attempt_at=timezone.now(),
    )


@pytest.mark.parametrize("retry_after", ["\u00b2", "\u00b9\u00b2\u00b3"])
def test_a_retry_after_of_unicode_digits_is_a_retry_not_a_crash(
    civil: Any, hooks: Receiver, retry_after: str
) -> None:
    """``Retry-After: ²`` passes ``str.isdigit`` but not ``float``: the attempt must still be recorded."""
    endpoint, _secret = endpoint_create(department=civil, url=hooks.url)
    delivery = owed(endpoint)
    hooks.answer(503, headers={"retry-after": retry_after})
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status == 503
    assert delivery.claimed_until is None


# --- what a delivery carries once the grant has changed -------------------------------------------------


def fan_out_until(predicate: Any) -> None:
    assert wait_until(lambda: webhooks_fanout() >= 0 and predicate(), timeout=30)


def deliveries_of(record_id: Any) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(payload__id=str(record_id)).order_by("created_at"))


@pytest.fixture
def hooked(civil: Any, subscribe: Any, hooks: Receiver) -> Any:
    """民政局 gets people of 新垵 by webhook, with their ID numbers and phones in full."""
    endpoint, secret = endpoint_create(department=civil, url=hooks.url, receives_events=False)
    subscription = subscribe(["person.name", "person.id_number", "person.phone"], record_types=["person"],
                             delivery="webhook", endpoint=endpoint)  # fmt: skip
    webhooks_fanout()
    return endpoint, secret, subscription


@pytest.mark.django_db(transaction=True)
def test_a_retry_after_the_grant_lost_the_id_number_does_not_send_it_in_full(
    hooked: Any, hooks: Receiver, collect_person: Any, admin_user: Any, eager: None
) -> None:
    _endpoint, secret, subscription = hooked
    hooks.answer(503)  # the receiver is down for the first attempt
    person = collect_person(name="王五", gender="male", id_number=ID_NUMBER, phone=PHONE).record
    fan_out_until(lambda: bool(deliveries_of(person.pk)))
    [delivery] = deliveries_of(person.pk)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1

    # The administrator withdraws the ID number and phone from the grant (audited, version 2).
    subscription_update(subscription=subscription, actor=admin_user, fields=["person.name"])

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=30), tick=True):
        deliveries_resend_due()
    second = hooks.received()[-1]
    sent = Webhook(secret).verify(second.body, second.headers)["data"]["data"]
    assert sent.get("id_number") in (None, "350205********" + ID_NUMBER[-4:])
    assert sent.get("phone") in (None, "138****5678")


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_subscription_sends_nothing_more(
    hooked: Any, hooks: Receiver, collect_person: Any, admin_user: Any, eager: None
) -> None:
    _endpoint, _secret, subscription = hooked
    hooks.answer(503)
    person = collect_person(name="王五", gender="male", id_number=ID_NUMBER, phone=PHONE).record
    fan_out_until(lambda: bool(deliveries_of(person.pk)))
    subscription_update(subscription=subscription, actor=admin_user, is_active=False)  # grant withdrawn
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=30), tick=True):
        deliveries_resend_due()
    assert len(hooks.received()) == 1  # the first attempt only


@pytest.mark.django_db(transaction=True)
def test_an_inactive_department_gets_no_more_webhooks(
    hooked: Any, hooks: Receiver, collect_person: Any, civil: Any, eager: None
) -> None:
    """Its API key is refused once the department is inactive; its webhooks should stop as well."""
    _endpoint, _secret, _subscription = hooked
    Department.objects.filter(pk=civil.pk).update(is_active=False)
    person = collect_person(name="王五", gender="male", id_number=ID_NUMBER, phone=PHONE).record
    # (a second, later change lets the fan-out pass the first one whatever it decides)
    marker = collect_person(name="赵六", gender="female").record
    wait_until(lambda: webhooks_fanout() >= 0 and bool(deliveries_of(marker.pk)), timeout=10)
    assert deliveries_of(person.pk) == []
    assert hooks.received() == []


# --- SSRF: IPv4 addresses embedded in IPv6 ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
        "http://[2002:a00:1::]/hook",  # 6to4 of 10.0.0.1
        "http://[2002:a9fe:a9fe::]/latest/meta-data/",  # 6to4 of 169.254.169.254
    ],
)
def test_url_problem_judges_the_ipv4_address_inside_a_6to4_address(url: str) -> None:
    """The check judges the IPv4 inside ``::ffff:a.b.c.d`` but not the one inside ``2002:AABB:CCDD::`` (6to4),
    which Python 3.11 calls global: such an endpoint is accepted (POST /sharing/endpoints/ answers 201)."""
    with translation.override("en"):
        assert url_problem(url) is not None
