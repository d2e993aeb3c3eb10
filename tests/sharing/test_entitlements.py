"""The entitlement matrix: for each sensitivity class × granted or not × channel, a field is present in full,
masked, or absent — the same through the feed, REST and signed webhooks."""

import datetime as dt
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from apps.core.identity import mask_id_number
from apps.registry.services import ObservationMeta, building_update, person_update, residence_end
from apps.sharing.services import subscription_create
from apps.sharing.tasks import deliver_webhook
from apps.sharing.webhooks import endpoint_create, webhooks_fanout
from tests.live import wait_until
from tests.sharing.conftest import ID_NUMBER, read_feed
from tests.sharing.receiver import receiver

# (record, field, sensitivity, value in full, what an ungranted reader gets: "masked" value or None = absent)
MATRIX = [
    ("building", "use", "public", "rental", None),
    ("person", "name", "internal", "陈阿婆", None),
    ("person", "id_number", "sensitive", ID_NUMBER, mask_id_number(ID_NUMBER)),
    ("person", "phone", "sensitive", "13812345678", "138****5678"),
    ("residence", "room", "sensitive", "302", None),
    ("person", "tags", "special", ["elderly_alone"], None),
]
RECORD_OF = {"building": "building", "person": "elder", "residence": "residence"}


def through_feed(client: Any, subscription: Any, records: Any, kind: str) -> dict[str, Any]:
    changes, _cursor = read_feed(client, subscription)
    return next(c for c in changes if c["id"] == str(records[RECORD_OF[kind]].pk))["data"]


def through_rest(client: Any, subscription: Any, records: Any, kind: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/feeds/{subscription.pk}/records/{kind}/{records[RECORD_OF[kind]].pk}/")
    assert response.status_code == 200, response.content
    return dict(response.json()["data"])


@pytest.mark.parametrize("read", [through_feed, through_rest], ids=["feed", "rest"])
@pytest.mark.parametrize("granted", [True, False], ids=["granted", "not-granted"])
@pytest.mark.parametrize(("kind", "field", "sensitivity", "full", "ungranted"), MATRIX,
                         ids=[f"{m[2]}:{m[0]}.{m[1]}" for m in MATRIX])  # fmt: skip
def test_field_is_present_masked_or_absent(records: Any, subscribe: Any, civil_client: Any, read: Any, granted: bool,
                                           kind: str, field: str, sensitivity: str, full: Any, ungranted: Any) -> None:  # fmt: skip
    # Another field of the same record type is always granted, so the record itself is in the grant.
    anchor = {"building": "building.address", "person": "person.gender", "residence": "residence.relation"}[
        kind
    ]
    fields = [anchor, f"{kind}.{field}"] if granted else [anchor]
    subscription = subscribe(fields, record_types=["building", "person", "residence"])
    data = read(civil_client, subscription, records, kind)
    if granted:
        assert data[field] == full
    elif ungranted is None:
        assert field not in data
    else:
        assert data[field] == ungranted


@pytest.mark.django_db(transaction=True)  # webhooks carry committed changes only
def test_the_same_matrix_through_signed_webhooks(records: Any, civil: Any, territory: Any, admin_user: Any,
                                                  worker: Any, settings: Any) -> None:  # fmt: skip
    settings.GRIDAPI_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    anchors = ["building.address", "person.gender", "residence.relation"]
    every = anchors + [f"{kind}.{field}" for kind, field, *_rest in MATRIX]
    received: dict[bool, dict[str, dict[str, Any]]] = {}
    with receiver() as hooks:
        subscriptions = {}
        for granted in (True, False):
            endpoint, secret = endpoint_create(department=civil, url=hooks.url, receives_events=False)
            subscriptions[granted] = (subscription_create(
                department=civil, nodes=[territory["HC-XY"]], actor=admin_user, name=f"granted={granted}",
                record_types=["building", "person", "residence"], fields=every if granted else anchors,
                purpose="关爱服务", delivery="webhook", endpoint=endpoint,
            ), secret)  # fmt: skip
        # Touch every record after the grants: each change reaches both endpoints, projected differently.
        meta = ObservationMeta(collector=worker)
        building_update(building=records["building"], changes={"floors": 5}, expected_version=records["building"].version,
                        meta=meta, payload={})  # fmt: skip
        person_update(person=records["elder"], changes={"household_type": "floating"},
                      expected_version=records["elder"].version, meta=meta, payload={})  # fmt: skip
        residence_end(residence=records["residence"], until=dt.date(2030, 1, 1))
        wanted = {str(records[name].pk) for name in RECORD_OF.values()}
        conf = deliver_webhook.app.conf
        conf.task_always_eager = True
        try:
            assert wait_until(
                lambda: webhooks_fanout() >= 0 and len(hooks.requests) >= 2 * len(wanted), timeout=30
            )
        finally:
            conf.task_always_eager = False
        for granted, (_subscription, secret) in subscriptions.items():
            bodies = []
            for request in hooks.requests:
                try:
                    bodies.append(Webhook(secret).verify(request.body, request.headers))
                except WebhookVerificationError:
                    continue  # signed for the other endpoint
            received[granted] = {body["data"]["id"]: body["data"]["data"] for body in bodies}
    for kind, field, _sensitivity, full, ungranted in MATRIX:
        record_id = str(records[RECORD_OF[kind]].pk)
        assert received[True][record_id][field] == full
        if ungranted is None:
            assert field not in received[False][record_id]
        else:
            assert received[False][record_id][field] == ungranted
