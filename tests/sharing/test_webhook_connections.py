"""Webhook connections kept alive per receiver address: consecutive deliveries to one receiver share a
connection, one the receiver closed is replaced without a failed attempt, a long answer is not read to its
end, and two host names on one address never share a connection (it was verified for one of them)."""

from typing import Any

import pytest

from apps.sharing.models import DeliveryStatus, WebhookDelivery
from apps.sharing.webhooks import delivery_attempt, endpoint_create, webhooks_fanout
from apps.sharing.webhooks.connections import MOST_BODY_BYTES, client_for
from tests.events.conftest import reporter, routing
from tests.registry.conftest import XA, shifted
from tests.sharing.receiver import Receiver
from tests.sharing.test_webhooks import hooks, reported

__all__ = ["hooks", "reporter", "routing"]


def deliveries(api_client: Any, reporter: Any, hooks: Receiver, count: int) -> list[WebhookDelivery]:
    """``count`` event notices for one department's endpoint, fanned out into deliveries (not yet sent)."""
    events = [reported(api_client, reporter, shifted(XA, north_m=400 * n)) for n in range(count)]
    endpoint_create(department=events[0].department, url=hooks.url)
    webhooks_fanout()
    rows = list(WebhookDelivery.objects.order_by("created_at"))
    assert len(rows) == count
    return rows


def send_all(rows: list[WebhookDelivery]) -> list[str]:
    return [delivery_attempt(delivery_id=row.pk) for row in rows]


def test_consecutive_deliveries_to_one_receiver_share_one_connection(routing: Any, api_client: Any,
                                                                      reporter: Any, hooks: Receiver) -> None:  # fmt: skip
    rows = deliveries(api_client, reporter, hooks, 5)
    assert send_all(rows) == [DeliveryStatus.DELIVERED] * 5
    received = hooks.received()
    assert [r.webhook_id for r in received] == [f"msg_{row.pk.hex}" for row in rows]
    assert len({r.peer for r in received}) == 1  # one TCP connection carried all five
    assert all(row.attempts == 1 for row in WebhookDelivery.objects.all())


def test_a_connection_the_receiver_dropped_is_replaced_without_a_failed_attempt(
    routing: Any, api_client: Any, reporter: Any, hooks: Receiver
) -> None:
    """The receiver takes every second request of a connection and closes it unanswered (as one closing an
    idle connection at the moment it is reused): the request goes again on a new connection, same id."""
    hooks.drop_reused = True
    rows = deliveries(api_client, reporter, hooks, 3)
    assert send_all(rows) == [DeliveryStatus.DELIVERED] * 3
    received = hooks.received()
    ids = [r.webhook_id for r in received]
    assert ids == [f"msg_{rows[0].pk.hex}"] + [f"msg_{row.pk.hex}" for row in rows[1:] for _ in (1, 2)]
    assert len({r.peer for r in received}) == 3  # each retry on a fresh connection
    assert [row.attempts for row in WebhookDelivery.objects.order_by("created_at")] == [1, 1, 1]


def test_a_receiver_that_drops_every_request_fails_the_attempt(routing: Any, api_client: Any, reporter: Any,
                                                               hooks: Receiver) -> None:  # fmt: skip
    hooks.drop_all = True
    [row] = deliveries(api_client, reporter, hooks, 1)
    assert delivery_attempt(delivery_id=row.pk) == DeliveryStatus.PENDING
    row.refresh_from_db()
    assert row.attempts == 1 and "RemoteProtocolError" in row.last_error
    assert len(hooks.received()) == 2  # once, and once more on a new connection: then the schedule


def test_a_long_answer_is_not_read_and_its_connection_not_reused(routing: Any, api_client: Any, reporter: Any,
                                                                 hooks: Receiver) -> None:  # fmt: skip
    hooks.body = b"x" * (MOST_BODY_BYTES * 4)
    rows = deliveries(api_client, reporter, hooks, 3)
    assert send_all(rows) == [DeliveryStatus.DELIVERED] * 3
    assert len({r.peer for r in hooks.received()}) == 3


def test_a_short_answer_body_is_read_so_the_connection_is_reused(routing: Any, api_client: Any, reporter: Any,
                                                                 hooks: Receiver) -> None:  # fmt: skip
    hooks.body = b'{"ok": true}' * 100
    rows = deliveries(api_client, reporter, hooks, 3)
    assert send_all(rows) == [DeliveryStatus.DELIVERED] * 3
    assert len({r.peer for r in hooks.received()}) == 1


@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        (("https", "a.example.cn", 443, "203.0.113.7"), ("https", "a.example.cn", 443, "203.0.113.7"), True),
        (("https", "a.example.cn", 443, "203.0.113.7"), ("https", "b.example.cn", 443, "203.0.113.7"), False),
        (("https", "a.example.cn", 443, "203.0.113.7"), ("https", "a.example.cn", 443, "203.0.113.8"), False),
        (("https", "a.example.cn", 443, "203.0.113.7"), ("http", "a.example.cn", 443, "203.0.113.7"), False),
        (
            ("https", "a.example.cn", 443, "203.0.113.7"),
            ("https", "a.example.cn", 8443, "203.0.113.7"),
            False,
        ),
    ],
)
def test_connections_are_shared_only_by_one_name_at_one_address(
    first: Any, second: Any, shared: bool
) -> None:
    assert (client_for(first) is client_for(second)) is shared


def test_a_changed_timeout_takes_effect(settings: Any) -> None:
    key = ("https", "a.example.cn", 443, "203.0.113.7")
    settings.GRIDAPI_WEBHOOK_TIMEOUT_SECONDS = 3
    assert client_for(key).timeout.read == 3
    settings.GRIDAPI_WEBHOOK_TIMEOUT_SECONDS = 7
    assert client_for(key).timeout.read == 7
