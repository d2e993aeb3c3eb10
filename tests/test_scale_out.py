"""gridapi scaled out, under a fault: two web processes on two ports behind a round-robin balancer, two Celery
workers and one beat, sharing one database and one broker. Eight devices push (each batch sent twice, an
earlier one replayed now and then) and pull through the balancer, so a device's consecutive requests land on
different processes; ten departments receive every new building by webhook; one Celery worker is SIGKILLed
mid-way. Then: every building exists once, every device's view equals the database, and every department
received every building under exactly one webhook id, signed.

The broker is the test's (private Redis in CI); ``make scale-out`` runs this test alone, and with
``SCALE_OUT_BROKER_URL`` set, on another broker (RabbitMQ: ``amqp://guest:guest@127.0.0.1:5672//``).
"""

import datetime as dt
import os
import random
import threading
from collections import Counter, defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from apps.departments.services import department_upsert
from apps.registry.models import Building
from apps.sharing.models import DeliveryStatus, WebhookDelivery
from apps.sharing.services import subscription_create
from apps.sharing.webhooks import endpoint_create, webhooks_fanout
from apps.sync.models import AppliedMutation
from tests.balancer import round_robin
from tests.live import celery_beat, celery_worker, gunicorn, wait_until
from tests.sharing.conftest import catalogue
from tests.sharing.receiver import Receiver, receiver
from tests.sharing.test_webhooks_fault import kill_hard, private_broker
from tests.sync.conftest import XA, device_tokens, mutation, settle, shifted

__all__ = ["catalogue"]  # the data catalogue, seeded again after another test's flush

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

DEVICES, ROUNDS, PER_BATCH, DEPARTMENTS = 8, 5, 4, 10
GRIDS = ("HC-XY-XA-01", "HC-XY-XA-02")


def _outbox_state() -> dict[str, Any]:
    """What a failure says of the deliveries not delivered: their status, attempts, lease and schedule."""
    now = timezone.now()
    waiting = WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED)
    return {
        "statuses": Counter(WebhookDelivery.objects.values_list("status", flat=True)),
        "waiting": Counter(
            (d.status, d.attempts, d.last_status, d.last_error[:60],
             None if d.claimed_until is None else round((d.claimed_until - now).total_seconds()),
             round((d.next_attempt_at - now).total_seconds()))
            for d in waiting
        ),
    }  # fmt: skip


def _all_delivered(expected: int, waits_skipped: list[int]) -> bool:
    """Wait until ``expected`` deliveries are delivered. An attempt that failed (a receiver starved of CPU on a
    loaded machine times out: the receivers are threads of this process) is retried on the schedule — 5 s, then
    5 min: once nothing else is left to send, the wait of those parked for their retry is skipped, as time would
    (at most three times; how many each time is in the failure message)."""

    def delivered() -> int:
        return WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count()

    def only_parked() -> bool:
        waiting = WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED)
        later = timezone.now() + dt.timedelta(seconds=30)
        return (
            waiting.exists()
            and not waiting.exclude(status=DeliveryStatus.PENDING, next_attempt_at__gt=later).exists()
        )

    for _skip in range(4):
        if not wait_until(lambda: delivered() == expected or only_parked(), timeout=180):
            return False
        if delivered() == expected:
            return True
        if len(waits_skipped) == 3:
            return False
        waits_skipped.append(
            WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).update(
                next_attempt_at=timezone.now()
            )
        )
    return False


def _broker() -> str:
    return os.environ.get("SCALE_OUT_BROKER_URL") or private_broker()


class Device:
    """A phone: its own token, a connection per request (so the balancer alternates processes), and its local
    copy of the records it pulled."""

    def __init__(self, number: int, token: str, base: str, origin: tuple[float, float]) -> None:
        self.number, self.origin = number, origin
        self.client = httpx.Client(
            base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"},
            limits=httpx.Limits(max_keepalive_connections=0),
        )  # fmt: skip
        self.cursor: str | None = None
        self.view: dict[str, int] = {}  # building id → version
        self.sent: list[dict[str, Any]] = []
        self.answers: dict[str, dict[str, Any]] = {}  # mutation id → first answer
        self.failures: list[str] = []

    def push(self, batch: dict[str, Any]) -> None:
        response = self.client.post("/api/v1/sync/push/", json=batch)
        if response.status_code != 200:
            self.failures.append(f"push {response.status_code}: {response.text[:300]}")
            return
        for result in response.json()["results"]:
            first = self.answers.setdefault(result["mutation_id"], result)
            if first != result:
                self.failures.append(f"a replay was answered differently: {first} / {result}")

    def pull(self) -> None:
        while True:
            params = {"limit": 50, "types": "building", **({"cursor": self.cursor} if self.cursor else {})}
            response = self.client.get("/api/v1/sync/pull/", params=params)
            if response.status_code != 200:
                self.failures.append(f"pull {response.status_code}: {response.text[:300]}")
                return
            page = response.json()
            for change in page["changes"]:
                if change.get("deleted"):
                    self.view.pop(change["id"], None)
                else:
                    self.view[change["id"]] = change["version"]
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return

    def work(self, rounds: int, rng: random.Random) -> None:
        for r in range(rounds):
            batch = {"device_id": f"s{self.number}", "mutations": [
                mutation("building", address=f"新垵村{5000 + self.number * 100 + r * 10 + k}号",
                         point=shifted(self.origin, east_m=k * 40, north_m=r * 60))
                for k in range(PER_BATCH)
            ]}  # fmt: skip
            self.sent.append(batch)
            self.push(batch)
            self.push(batch)  # the answer was lost on the way: sent again
            if rng.random() < 0.5:
                self.push(rng.choice(self.sent))  # an old batch from the outbox, once more
            self.pull()


def _departments(territory: Any, admin: Any, receivers: list[Receiver]) -> list[str]:
    """Ten departments of the district, each receiving new buildings at its own endpoint; their secrets."""
    secrets = []
    for n, hooks in enumerate(receivers):
        department = department_upsert(
            code=f"SCALE-{n}", name=f"扩展测试部门{n}", jurisdiction=territory["350205"]
        )
        endpoint, secret = endpoint_create(department=department, url=hooks.url, receives_events=False)
        subscription_create(
            department=department, nodes=[territory["350205"]], actor=admin, name="实有房屋",
            record_types=["building"], fields=["building.address"], purpose="治安管理", delivery="webhook",
            endpoint=endpoint,
        )  # fmt: skip
        secrets.append(secret)
    return secrets


def test_two_web_processes_two_workers_and_a_killed_one_lose_and_double_nothing(
    territory: Any, admin_user: Any, settings: Any, tmp_path: Path, catalogue: None
) -> None:
    settings.GRIDAPI_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    env = {
        "CELERY_BROKER_URL": _broker(),
        "GRIDAPI_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "GRIDAPI_WEBHOOK_FANOUT_SECONDS": "1",
        "GRIDAPI_WEBHOOK_DUE_SECONDS": "1",
        "GRIDAPI_WEBHOOK_CLAIM_SECONDS": "5",
        # The killed worker's reserved tasks come back from Redis only after its visibility timeout (an hour):
        # their deliveries wait for the queued lease, shortened here from five minutes.
        "GRIDAPI_WEBHOOK_QUEUED_SECONDS": "30",
        # The receivers are threads of this busy process: a slow answer is not a failure.
        "GRIDAPI_WEBHOOK_TIMEOUT_SECONDS": "30",
        "GRIDAPI_THROTTLE_DEVICE": "100000/min",
    }
    tokens = [
        token for code in GRIDS for token in device_tokens(territory[code], DEVICES // 2, f"s{code[-1]}")
    ]
    origins = [shifted(XA, east_m=-250, north_m=-400 + 700 * n) for n in range(DEVICES // 2)]
    grid_two = territory[GRIDS[1]].boundary.centroid
    origins += [
        shifted((grid_two.x, grid_two.y), east_m=-150, north_m=-300 + 200 * n) for n in range(DEVICES // 2)
    ]
    with ExitStack() as stack:
        receivers = [stack.enter_context(receiver()) for _ in range(DEPARTMENTS)]
        secrets = _departments(territory, admin_user, receivers)
        assert webhooks_fanout() == 0  # the subscriptions' position: changes from here on
        web = [stack.enter_context(gunicorn(workers=1, threads=4, env=env)) for _ in range(2)]
        balancer = stack.enter_context(round_robin(web))
        stack.enter_context(celery_beat(tmp_path / "beat-schedule", env=env))
        first = stack.enter_context(celery_worker("-n", "first@%h", env=env))
        stack.enter_context(celery_worker("-n", "second@%h", env=env))
        devices = [Device(n, token, balancer.url, origins[n]) for n, token in enumerate(tokens)]
        threads = [threading.Thread(target=d.work, args=(ROUNDS, random.Random(d.number))) for d in devices]
        for thread in threads:
            thread.start()
        # Mid-way: some deliveries made, pushes still coming.
        assert wait_until(
            lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() >= 20, timeout=120
        )
        kill_hard(first)
        delivered_at_kill = WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
        for thread in threads:
            thread.join()
        made = DEVICES * ROUNDS * PER_BATCH
        waits_skipped: list[int] = []
        assert _all_delivered(made * DEPARTMENTS, waits_skipped), (_outbox_state(), waits_skipped)
        settle()
        for device in devices:
            device.pull()
        received = {n: hooks.received() for n, hooks in enumerate(receivers)}

    assert [f for d in devices for f in d.failures] == []
    assert delivered_at_kill < made * DEPARTMENTS  # the worker died with work left
    assert all(count > 0 for count in balancer.connections.values()) and len(balancer.connections) == 2
    # Every building once, every mutation applied once whatever the replays.
    answers = [a for d in devices for a in d.answers.values()]
    assert len(answers) == made and {a["status"] for a in answers} == {"applied"}
    assert Building.objects.count() == made and AppliedMutation.objects.count() == made
    # Every device sees exactly what the database holds in its grid: nothing skipped across processes.
    for device, code in zip(devices, [c for c in GRIDS for _ in range(DEVICES // 2)], strict=True):
        expected = dict(
            Building.objects.filter(grid=territory[code], merged_into__isnull=True).values_list(
                "id", "version"
            )
        )
        assert device.view == {str(pk): version for pk, version in expected.items()}, device.number
    # Every department received every building under one webhook id (at least once: the one in flight when
    # the worker died is sent again with the same id), signed with its secret.
    buildings = {str(pk) for pk in Building.objects.values_list("id", flat=True)}
    for n, requests in received.items():
        ids_of: defaultdict[str, set[str]] = defaultdict(set)
        for request in requests:
            Webhook(secrets[n]).verify(request.body, request.headers)
            ids_of[request.json["data"]["id"]].add(request.webhook_id)
        assert set(ids_of) == buildings, n
        assert all(len(ids) == 1 for ids in ids_of.values()), n
