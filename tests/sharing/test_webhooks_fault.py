"""Webhooks as deployed, under a fault: Celery beat and a real worker deliver a batch of changes to a slow
receiver; the worker is killed with SIGKILL while a request is in flight; a new worker and the periodic
due-scan finish the job. Every change reaches the receiver at least once, none is missing, and the one cut
short is sent again with the same webhook-id."""

import os
import signal
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from standardwebhooks.webhooks import Webhook

from apps.sharing.models import DeliveryStatus, WebhookDelivery
from apps.sharing.services import subscription_create
from apps.sharing.webhooks import endpoint_create, webhooks_fanout
from tests.events.conftest import routing
from tests.live import celery_beat, celery_worker, wait_until
from tests.registry.conftest import XA, shifted
from tests.sharing.receiver import receiver

__all__ = ["routing"]

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

BATCH = 50
PRIVATE_REDIS_DB = 13


def private_broker() -> str:
    """The broker on a Redis database of its own: workers of other test runs (same queue name, same Redis)
    neither take these tasks nor hand theirs to this test's worker."""
    url = str(settings.CELERY_BROKER_URL)
    if url.startswith("redis+socket://"):
        return f"{url}{'&' if '?' in url else '?'}virtual_host={PRIVATE_REDIS_DB}"
    return urlunsplit(urlsplit(url)._replace(path=f"/{PRIVATE_REDIS_DB}"))


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, …
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def kill_hard(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its pool process together, as the OOM killer or a lost machine would: no warm
    shutdown, nothing acknowledged or requeued on the way out. (The worker shares the test's process group,
    so the group cannot be killed; its processes are found by parent id.)"""
    pids = [worker.pid, *children_of(worker.pid)]
    assert len(pids) >= 2, "the prefork pool process is gone already"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    worker.wait()


def test_a_killed_worker_delays_deliveries_but_loses_none(routing: Any, territory: Any, admin_user: Any,
                                                          collect_building: Any, settings: Any,
                                                          tmp_path: Path) -> None:  # fmt: skip
    settings.GRIDAPI_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    env = {
        "CELERY_BROKER_URL": private_broker(),
        "GRIDAPI_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "GRIDAPI_WEBHOOK_FANOUT_SECONDS": "1",
        "GRIDAPI_WEBHOOK_DUE_SECONDS": "1",
        "GRIDAPI_WEBHOOK_CLAIM_SECONDS": "5",
    }
    with receiver(delay=0.3) as hooks:
        endpoint, secret = endpoint_create(department=routing["HC-GA"], url=hooks.url, receives_events=False)
        subscription_create(
            department=routing["HC-GA"], nodes=[territory["350205"]], actor=admin_user, name="实有房屋",
            record_types=["building"], fields=["building.address"], purpose="治安管理", delivery="webhook",
            endpoint=endpoint,
        )  # fmt: skip
        assert webhooks_fanout() == 0  # the subscription's position: changes from here on
        buildings = {
            str(
                collect_building(
                    point=shifted(XA, north_m=30 * i), address=f"新垵村{i}巷{700 + i}号"
                ).record.pk
            )
            for i in range(BATCH)
        }
        assert len(buildings) == BATCH

        with celery_beat(tmp_path / "beat-schedule", env=env):
            with celery_worker(env=env) as first:
                # Kill while a request is in flight: the worker has claimed that delivery and sent it, and
                # dies before the answer.
                assert wait_until(lambda: len(hooks.received()) >= 15 and bool(hooks.unanswered()),
                                  timeout=90, interval=0.01)  # fmt: skip
                kill_hard(first)
                cut = hooks.unanswered()
            assert len(cut) == 1
            assert WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() < BATCH
            with celery_worker(env=env):
                assert wait_until(
                    lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == BATCH,
                    timeout=120,
                )
        received = hooks.received()

    deliveries = list(WebhookDelivery.objects.all())
    assert len(deliveries) == BATCH and {d.payload["id"] for d in deliveries} == buildings
    assert {r.webhook_id for r in received} == {f"msg_{d.pk.hex}" for d in deliveries}
    assert {r.json["data"]["id"] for r in received} == buildings
    for request in received:
        Webhook(secret).verify(request.body, request.headers)
    [redone] = [d for d in deliveries if f"msg_{d.pk.hex}" == cut[0].webhook_id]
    assert sum(r.webhook_id == cut[0].webhook_id for r in received) >= 2 and redone.attempts >= 2
