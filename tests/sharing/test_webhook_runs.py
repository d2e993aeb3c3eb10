"""Deliveries sent in runs of one endpoint: a fixed number of queries per run, each delivery judged as if sent
alone, a receiver that stops answering stops its run (the rest handed back unattempted), a slow receiver's run
handed back before its claim runs out, and two workers given the same run send each delivery once."""

import datetime as dt
import math
import threading
import uuid
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from apps.sharing.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from apps.sharing.webhooks import deliveries_attempt, deliveries_due, endpoint_create
from apps.sharing.webhooks.attempts import SETTLE_EVERY
from apps.sharing.webhooks.messages import RUN, delivery_runs
from tests.events.conftest import routing
from tests.sharing.receiver import Receiver, receiver
from tests.sharing.test_webhooks import hooks

__all__ = ["hooks", "routing"]


def outbox(endpoint: WebhookEndpoint, count: int) -> list[uuid.UUID]:
    """``count`` event notices waiting for ``endpoint``, as the fan-out leaves them (oldest first)."""
    now = timezone.now()
    rows = [
        WebhookDelivery(
            endpoint=endpoint,
            event_type="event.dispatched",
            next_attempt_at=now,
            payload={"event_id": str(uuid.uuid4()), "status": "dispatched", "n": n},
        )
        for n in range(count)
    ]
    WebhookDelivery.objects.bulk_create(rows)
    return [row.pk for row in rows]


def state(ids: list[uuid.UUID]) -> list[tuple[str, int]]:
    rows = WebhookDelivery.objects.in_bulk(ids)
    return [(rows[pk].status, rows[pk].attempts) for pk in ids]


@pytest.fixture
def endpoint(routing: Any, hooks: Receiver) -> WebhookEndpoint:
    return endpoint_create(department=routing["HC-GA"], url=hooks.url)[0]


def test_runs_are_per_endpoint_in_order_and_at_most_run_long() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    pairs = [(uuid.UUID(int=n), a if n % 3 else b) for n in range(2 * RUN + 10)]
    runs = delivery_runs(pairs)
    of_b = sum(endpoint == b for _pk, endpoint in pairs)  # b comes first

    def sizes(count: int) -> list[int]:
        return [min(RUN, count - start) for start in range(0, count, RUN)]

    assert [len(run) for run in runs] == sizes(of_b) + sizes(len(pairs) - of_b)
    assert max(len(run) for run in runs) == RUN
    for run in runs:
        endpoints = {dict(pairs)[uuid.UUID(pk)] for pk in run}
        assert len(endpoints) == 1
        assert run == sorted(run)  # the order given
    assert sorted(pk for run in runs for pk in run) == sorted(str(pk) for pk, _e in pairs)


@pytest.mark.parametrize("count", [5, SETTLE_EVERY * 2 - 1])
def test_a_run_costs_its_claim_its_read_and_a_write_per_settle(endpoint: WebhookEndpoint, hooks: Receiver,
                                                               count: int, django_assert_num_queries: Any) -> None:  # fmt: skip
    ids = outbox(endpoint, count)
    with django_assert_num_queries(2 + math.ceil(count / SETTLE_EVERY)):
        outcomes = deliveries_attempt(delivery_ids=ids)
    assert list(outcomes.values()) == [DeliveryStatus.DELIVERED] * count
    assert [r.webhook_id for r in hooks.received()] == [f"msg_{pk.hex}" for pk in ids]
    assert state(ids) == [(DeliveryStatus.DELIVERED, 1)] * count
    assert (
        WebhookDelivery.objects.filter(
            pk__in=ids, claimed_until__isnull=True, delivered_at__isnull=False
        ).count()
        == count
    )


@pytest.mark.parametrize("answer", [503, 429])
def test_a_receiver_that_stops_answering_stops_its_run(endpoint: WebhookEndpoint, hooks: Receiver,
                                                       answer: int) -> None:  # fmt: skip
    ids = outbox(endpoint, 6)
    hooks.answer(200, 200, answer)
    outcomes = deliveries_attempt(delivery_ids=ids)
    assert list(outcomes.values()) == [DeliveryStatus.DELIVERED] * 2 + [DeliveryStatus.PENDING] * 4
    assert len(hooks.received()) == 3  # nothing sent after the refusal
    failed = WebhookDelivery.objects.get(pk=ids[2])
    assert (failed.attempts, failed.last_status) == (1, answer)
    assert failed.next_attempt_at > timezone.now() + dt.timedelta(seconds=4)
    for held in WebhookDelivery.objects.filter(pk__in=ids[3:]):  # unattempted: due with the failed one
        assert (held.status, held.attempts, held.claimed_until, held.last_status) == (
            DeliveryStatus.PENDING,
            0,
            None,
            None,
        )
        assert held.next_attempt_at == failed.next_attempt_at


def test_a_500_answer_to_one_delivery_is_that_deliverys_failure_and_the_run_goes_on(endpoint: WebhookEndpoint,
                                                                                    hooks: Receiver) -> None:  # fmt: skip
    ids = outbox(endpoint, 3)
    hooks.answer(200, 400)
    outcomes = deliveries_attempt(delivery_ids=ids)
    assert list(outcomes.values()) == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.PENDING,
        DeliveryStatus.DELIVERED,
    ]


def test_410_in_a_run_disables_the_endpoint_and_buries_the_rest_unsent(endpoint: WebhookEndpoint,
                                                                        hooks: Receiver) -> None:  # fmt: skip
    ids = outbox(endpoint, 4)
    hooks.answer(200, 410)
    outcomes = deliveries_attempt(delivery_ids=ids)
    assert list(outcomes.values()) == [DeliveryStatus.DELIVERED] + [DeliveryStatus.DEAD] * 3
    assert len(hooks.received()) == 2
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert set(WebhookDelivery.objects.filter(pk__in=ids[2:]).values_list("last_error", flat=True)) == {
        "endpoint disabled"
    }


def test_one_receiver_down_does_not_hold_back_another_endpoints_deliveries(
    routing: Any, hooks: Receiver
) -> None:
    with receiver(default=503) as down:
        broken = endpoint_create(department=routing["HC-MZ"], url=down.url)[0]
        working = endpoint_create(department=routing["HC-GA"], url=hooks.url)[0]
        mixed = [pk for pair in zip(outbox(broken, 3), outbox(working, 3), strict=True) for pk in pair]
        outcomes = deliveries_attempt(delivery_ids=mixed)
        assert len(down.received()) == 1
    assert [outcomes[pk] for pk in mixed[1::2]] == [DeliveryStatus.DELIVERED] * 3
    assert [outcomes[pk] for pk in mixed[0::2]] == [DeliveryStatus.PENDING] * 3


def test_a_slow_receivers_run_is_handed_back_before_its_claim_runs_out(routing: Any, settings: Any) -> None:
    settings.GRIDAPI_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.GRIDAPI_WEBHOOK_CLAIM_SECONDS = 1  # half of it, 0.5 s, is the run's time
    with receiver(delay=0.3) as slow:
        endpoint = endpoint_create(department=routing["HC-GA"], url=slow.url)[0]
        ids = outbox(endpoint, 6)
        outcomes = deliveries_attempt(delivery_ids=ids)
        sent = len(slow.received())
    assert 1 <= sent <= 3 and list(outcomes.values()).count(DeliveryStatus.DELIVERED) == sent
    rest = ids[sent:]
    assert state(rest) == [(DeliveryStatus.PENDING, 0)] * len(rest)
    assert WebhookDelivery.objects.filter(pk__in=rest, claimed_until__isnull=True).count() == len(rest)
    assert set(deliveries_due(limit=50)) == set(rest)  # the due-scan queues them again at once


def test_deliveries_claimed_by_another_worker_or_done_are_left_alone(endpoint: WebhookEndpoint,
                                                                     hooks: Receiver) -> None:  # fmt: skip
    ids = outbox(endpoint, 4)
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=ids[1]).update(status=DeliveryStatus.SENDING, attempts=1,
                                                     claimed_until=now + dt.timedelta(seconds=60))  # fmt: skip
    WebhookDelivery.objects.filter(pk=ids[2]).update(status=DeliveryStatus.DELIVERED, attempts=1)
    WebhookDelivery.objects.filter(pk=ids[3]).update(next_attempt_at=now + dt.timedelta(minutes=5))
    outcomes = deliveries_attempt(delivery_ids=ids)
    assert [outcomes[pk] for pk in ids] == [DeliveryStatus.DELIVERED, "", "", ""]
    assert [r.webhook_id for r in hooks.received()] == [f"msg_{ids[0].hex}"]


@pytest.mark.django_db(transaction=True)
def test_two_workers_given_the_same_runs_send_each_delivery_once(routing: Any, hooks: Receiver) -> None:
    endpoint = endpoint_create(department=routing["HC-GA"], url=hooks.url)[0]
    ids = outbox(endpoint, 120)
    runs = [ids[n : n + 20] for n in range(0, len(ids), 20)]
    errors: list[BaseException] = []

    def worker(order: list[list[uuid.UUID]]) -> None:
        try:
            for run in order:
                deliveries_attempt(delivery_ids=run)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(order,)) for order in (runs, runs[::-1], runs[2:] + runs[:2])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    received = [r.webhook_id for r in hooks.received()]
    assert sorted(received) == sorted(f"msg_{pk.hex}" for pk in ids)  # each once
    assert state(ids) == [(DeliveryStatus.DELIVERED, 1)] * len(ids)
