"""Channels are managed by administrators: the API, the admin and ``manage.py create_channel``; the key is
shown once and stored hashed; events show their ``source``."""

import io
from typing import Any

from django.core.management import call_command

from apps.accounts.models import hash_secret
from apps.channels.models import CategoryMapping, Channel
from apps.channels.selectors import channel_by_key
from tests.channels.conftest import XA, order
from tests.events.conftest import report


def test_an_administrator_creates_a_channel_and_sees_its_key_once(routing: Any, api_client: Any,
                                                                  admin_user: Any) -> None:  # fmt: skip
    client = api_client(admin_user)
    created = client.post("/api/v1/channels/", {"name": "厦门12345", "kind": "hotline",
                                                "triage_category": "dispute_neighbour"}, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    key = body["key"]
    assert key.startswith(body["key_prefix"] + "_")
    channel = Channel.objects.get(pk=body["id"])
    assert channel.key_hash == hash_secret(key) and key not in str(Channel.objects.values().get())
    assert not channel.account.is_active and not channel.account.has_usable_password()
    shown = client.get(f"/api/v1/channels/{channel.pk}/").json()
    assert "key" not in shown and shown["triage_category"] == "dispute_neighbour"

    mapped = client.put(f"/api/v1/channels/{channel.pk}/mappings/", {"mappings": {"0301": "dispute_neighbour"}},
                        format="json")  # fmt: skip
    assert mapped.status_code == 200 and mapped.json()["mappings"] == [
        {"external_code": "0301", "category": "dispute_neighbour"}
    ]
    refused = client.put(
        f"/api/v1/channels/{channel.pk}/mappings/", {"mappings": {"x": "nope"}}, format="json"
    )
    assert refused.status_code == 400 and CategoryMapping.objects.count() == 1

    rotated = client.post(f"/api/v1/channels/{channel.pk}/key/").json()["key"]
    assert channel_by_key(rotated) is not None and channel_by_key(key) is None
    off = client.patch(f"/api/v1/channels/{channel.pk}/", {"is_active": False}, format="json")
    assert off.status_code == 200 and channel_by_key(rotated) is None


def test_bad_channel_input_is_a_problem_document(routing: Any, api_client: Any, admin_user: Any) -> None:
    client = api_client(admin_user)
    response = client.post("/api/v1/channels/", {"name": "x", "kind": "fax"}, format="json")
    assert response.status_code == 400 and "kind" in response.json()["errors"]
    response = client.post("/api/v1/channels/", {"name": "x", "kind": "hotline", "triage_category": "nope"},
                           format="json")  # fmt: skip
    assert response.status_code == 400 and "triage_category" in response.json()["errors"]
    response = client.post("/api/v1/channels/", {"name": "x", "kind": "hotline",
                                                 "endpoint": "00000000-0000-0000-0000-000000000000"}, format="json")  # fmt: skip
    assert response.status_code == 400 and "endpoint" in response.json()["errors"]


def test_only_administrators_manage_channels(hotline: Any, api_client: Any, make_user: Any,
                                             channel_client: Any) -> None:  # fmt: skip
    for role in ("dispatcher", "grid_worker", "department_staff"):
        assert api_client(make_user(role=role)).get("/api/v1/channels/").status_code == 403
    assert channel_client(hotline[1]).get("/api/v1/channels/").status_code in {401, 403}
    assert api_client(None).get("/api/v1/channels/").status_code == 401


def test_create_channel_prints_the_key_once(routing: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_channel", "河长制水位感知", "--kind", "sensor", stdout=out, stderr=err)
    key = out.getvalue().strip()
    channel = channel_by_key(key)
    assert channel is not None and channel.kind == "sensor" and key not in err.getvalue()


def test_events_show_their_source(hotline: Any, channel_client: Any, api_client: Any, reporter: Any,
                                  dispatcher_of: Any) -> None:  # fmt: skip
    worker_event = report(api_client(reporter), "fire_rental", XA)
    result = channel_client(hotline[1]).post("/api/v1/channels/hotline/orders/", {"orders": [order("GD-1")]},
                                             format="json").json()["results"][0]  # fmt: skip
    dispatcher = api_client(dispatcher_of("350205"))
    shown = dispatcher.get(f"/api/v1/events/{result['event_id']}/").json()
    assert shown["properties"]["source"] == "hotline"
    mine = dispatcher.get(f"/api/v1/events/{worker_event['id']}/").json()
    assert mine["properties"]["source"] == "worker"


def test_the_admin_creates_a_channel_and_shows_its_key_once(
    routing: Any, admin_user: Any, client: Any
) -> None:
    client.force_login(admin_user)
    for page in ("channel", "channelrequest", "sensoralarm", "serviceattribute"):
        assert client.get(f"/admin/channels/{page}/").status_code == 200
    response = client.post("/admin/channels/channel/add/", {
        "name": "i厦门", "kind": "open311", "is_active": "on", "triage_category": "",
        "mappings-TOTAL_FORMS": "0", "mappings-INITIAL_FORMS": "0",
    }, follow=True)  # fmt: skip
    assert response.status_code == 200
    [message] = [str(m) for m in response.context["messages"] if "gch_" in str(m)]
    key = message.rsplit(" ", 1)[-1]
    channel = channel_by_key(key)
    assert channel is not None and channel.name == "i厦门" and channel.account_id is not None
