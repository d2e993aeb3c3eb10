"""12345 hotline work orders: each order once however the batch is re-sent, unmapped codes to triage, the
caller sealed and shown to nobody, status changes back to the hotline as signed Standard Webhooks."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from standardwebhooks.webhooks import Webhook

from apps.channels.models import ChannelRequest, StatusNotice
from apps.core.crypto import unseal
from apps.events.models import Event, EventReport
from apps.sharing.models import DeliveryStatus, WebhookDelivery
from apps.sharing.webhooks import delivery_attempt, endpoint_create, webhooks_fanout
from tests.channels.conftest import HH, XA, act, order
from tests.registry.conftest import shifted
from tests.sharing.receiver import Receiver, receiver

ORDERS = "/api/v1/channels/hotline/orders/"


def post(client: Any, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = client.post(ORDERS, {"orders": orders}, format="json")
    assert response.status_code == 200, response.content[:800]
    return list(response.json()["results"])


def batch() -> list[dict[str, Any]]:
    # Three orders of three families far enough apart that none duplicates another.
    return [order("GD20261205001"), order("GD20261205002", "0702", shifted(XA, 600, 0)),
            order("GD20261205003", "1101", HH)]  # fmt: skip


def test_the_same_batch_twice_makes_each_order_once(hotline: Any, channel_client: Any) -> None:
    client = channel_client(hotline[1])
    first = post(client, batch())
    assert [r["outcome"] for r in first] == ["created", "created", "created"]
    second = post(client, batch())
    assert [r["outcome"] for r in second] == ["duplicate", "duplicate", "duplicate"]
    assert [r["event_id"] for r in second] == [r["event_id"] for r in first]
    assert (
        ChannelRequest.objects.count() == 3
        and Event.objects.count() == 3
        and EventReport.objects.count() == 3
    )
    assert set(Event.objects.values_list("source", flat=True)) == {"hotline"}
    assert set(Event.objects.values_list("source_ref", flat=True)) == {str(hotline[0].pk)}


@pytest.mark.django_db(transaction=True)
def test_the_same_batch_posted_concurrently_makes_each_order_once(hotline: Any, channel_client: Any) -> None:
    barrier = threading.Barrier(6)
    outcomes: list[list[str]] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            client = channel_client(hotline[1])
            barrier.wait()
            outcomes.append([r["outcome"] for r in post(client, batch())])
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    # Each order was created by exactly one of the six batches; the five others were told it was a duplicate.
    for index in range(3):
        assert sorted(o[index] for o in outcomes) == ["created"] + ["duplicate"] * 5
    assert (
        ChannelRequest.objects.count() == 3
        and Event.objects.count() == 3
        and EventReport.objects.count() == 3
    )


def test_an_unmapped_category_goes_to_triage(hotline: Any, channel_client: Any) -> None:
    [result] = post(channel_client(hotline[1]), [order("GD-X1", "9999")])
    assert result["outcome"] == "created"
    event = Event.objects.get(pk=result["event_id"])
    assert event.department is None and event.status == "reported"
    assert event.routing["triage"] is True and "9999" in event.routing["reason"]


def test_an_unmapped_category_without_a_triage_category_is_rejected(
    make_channel: Any, channel_client: Any
) -> None:
    _channel, key = make_channel("hotline", "没有兜底分类的热线")
    [result] = post(channel_client(key), [order("GD-X2", "0301")])
    assert result["outcome"] == "rejected" and "category" in result["errors"]
    assert not Event.objects.exists()


def test_one_bad_order_does_not_affect_the_others(hotline: Any, channel_client: Any) -> None:
    results = post(channel_client(hotline[1]), [order("GD-1"), {"order_no": "GD-2", "category": "0301"},
                                                order("GD-3", "0702", HH, lon=None, lat=None)])  # fmt: skip
    assert [r["outcome"] for r in results] == ["created", "rejected", "rejected"]
    assert "title" in results[1]["errors"] and "location" in results[2]["errors"]
    assert ChannelRequest.objects.count() == 1


def test_the_caller_is_sealed_and_appears_in_no_event_output(hotline: Any, channel_client: Any, routing: Any,
                                                            department_client: Any) -> None:  # fmt: skip
    [result] = post(channel_client(hotline[1]), [order("GD-9")])
    request = ChannelRequest.objects.get(external_id="GD-9")
    assert (
        "13912345678" not in request.caller_phone_sealed
        and unseal(request.caller_phone_sealed) == "13912345678"
    )
    assert unseal(request.caller_name_sealed) == "王小明"
    body = department_client("HC-XY-XA-CW").get(f"/api/v1/events/{result['event_id']}/").content.decode()
    assert "13912345678" not in body and "王小明" not in body


def test_a_channel_key_of_another_kind_may_not_post_orders(sensors: Any, channel_client: Any) -> None:
    response = channel_client(sensors[1]).post(ORDERS, {"orders": [order("GD-1")]}, format="json")
    assert response.status_code == 403


def test_a_wrong_key_is_401(hotline: Any, channel_client: Any) -> None:
    response = channel_client("gch_00000000_nope").post(ORDERS, {"orders": [order("GD-1")]}, format="json")
    assert response.status_code == 401


@pytest.fixture
def hooks(settings: Any) -> Iterator[Receiver]:
    settings.GRIDAPI_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with receiver() as running:
        yield running


def deliver_all() -> list[WebhookDelivery]:
    webhooks_fanout()
    deliveries = list(
        WebhookDelivery.objects.filter(event_type="event.status_changed").order_by("created_at")
    )
    for delivery in deliveries:
        if delivery.status == DeliveryStatus.PENDING:
            assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.DELIVERED
    return deliveries


def test_status_changes_reach_the_hotline_signed_with_the_result_and_rating(
    make_channel: Any, routing: Any, channel_client: Any, department_client: Any, hooks: Receiver
) -> None:
    endpoint, secret = endpoint_create(department=routing["HC-GA"], url=hooks.url, receives_events=False)
    _channel, key = make_channel("hotline", "12345", {"0301": "dispute_neighbour"}, endpoint_id=endpoint.pk)
    client = channel_client(key)
    [result] = post(client, [order("GD-100")])
    community = department_client("HC-XY-XA-CW")
    act(community, result["event_id"], "sign", note="已签收")
    act(community, result["event_id"], "start")
    act(community, result["event_id"], "report_handled", note="已上门调解，双方达成一致")
    request_id = result["request_id"]
    verify = client.post(f"/api/v1/channels/requests/{request_id}/actions/", {"action": "verify", "ok": True,
                                                                              "note": "回访核实"}, format="json")  # fmt: skip
    assert verify.status_code == 200 and verify.json()["status"] == "closed"
    rate = client.post(f"/api/v1/channels/requests/{request_id}/actions/", {"action": "rate", "rating": 4},
                       format="json")  # fmt: skip
    assert rate.status_code == 200 and rate.json()["status"] == "rated"

    deliver_all()
    bodies = [dict(Webhook(secret).verify(r.body, r.headers)) for r in hooks.received()]
    assert [b["type"] for b in bodies] == ["event.status_changed"] * 5
    assert [b["data"]["status"] for b in bodies] == ["signed", "in_progress", "handled", "closed", "rated"]
    assert {b["data"]["external_id"] for b in bodies} == {"GD-100"}
    assert bodies[2]["data"]["handling_result"] == "已上门调解，双方达成一致"
    assert bodies[3]["data"]["open311_status"] == "closed"
    assert bodies[4]["data"]["rating"] == 4
    assert not StatusNotice.objects.filter(fanned_out_at__isnull=True).exists()
    assert all("13912345678" not in r.body.decode() for r in hooks.received())


def test_a_channel_without_endpoint_gets_no_outbox_rows(hotline: Any, channel_client: Any,
                                                        department_client: Any) -> None:  # fmt: skip
    [result] = post(channel_client(hotline[1]), [order("GD-200")])
    act(department_client("HC-XY-XA-CW"), result["event_id"], "sign")
    assert not StatusNotice.objects.exists()


def test_only_the_handling_department_reads_the_caller_and_the_read_is_logged(
    hotline: Any, channel_client: Any, department_client: Any, api_client: Any, dispatcher_of: Any
) -> None:
    from apps.journal.models import AccessLogEntry

    [result] = post(channel_client(hotline[1]), [order("GD-300")])
    url = f"/api/v1/channels/events/{result['event_id']}/callers/"
    shown = department_client("HC-XY-XA-CW").get(url)
    assert shown.status_code == 200
    assert shown.json() == [{"request_id": result["request_id"], "channel": "厦门12345", "external_id": "GD-300",
                             "caller_name": "王小明", "caller_phone": "13912345678"}]  # fmt: skip
    [logged] = AccessLogEntry.objects.filter(record_type="channel_request")
    assert [str(i) for i in logged.record_ids] == [result["request_id"]]
    assert department_client("HC-GA").get(url).status_code == 404
    assert api_client(dispatcher_of("350205")).get(url).status_code == 403
    assert channel_client(hotline[1]).get(url).status_code in {401, 403}


def test_a_csv_back_fill_takes_each_order_once(hotline: Any, tmp_path: Any) -> None:
    import io

    from django.core.management import call_command

    path = tmp_path / "orders.csv"
    path.write_text(
        "order_no,category,title,content,received_at,lon,lat,address,address_id,caller_name,caller_phone\n"
        f"GD-A,0301,噪音扰民,深夜噪音,2026-11-01T10:00:00+08:00,{XA[0]},{XA[1]},,,李女士,13800001111\n"
        f"GD-B,0702,垃圾堆积,,,{HH[0]},{HH[1]},,,,\n"
        "GD-C,0301,没有地点,,,,,,,,\n",
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("import_work_orders", hotline[0].name, str(path), stdout=out, stderr=err)
    assert out.getvalue().strip() == "created=2 merged=0 duplicate=0 rejected=1"
    assert "line 4 (GD-C)" in err.getvalue()
    out = io.StringIO()
    call_command("import_work_orders", hotline[0].name, str(path), stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == "created=0 merged=0 duplicate=2 rejected=1"
    request = ChannelRequest.objects.get(external_id="GD-A")
    assert unseal(request.caller_phone_sealed) == "13800001111"
    assert request.event.occurred_at is not None


def test_an_order_split_out_of_a_workers_event_takes_its_request_along(
    hotline: Any, channel_client: Any, api_client: Any, reporter: Any, dispatcher_of: Any
) -> None:
    from tests.events.conftest import report

    worker_event = report(api_client(reporter), "dispute_neighbour", XA)
    [result] = post(channel_client(hotline[1]), [order("GD-400", point=shifted(XA, 10, 0))])
    assert result["outcome"] == "merged" and result["event_id"] == worker_event["id"]
    row = EventReport.objects.get(event_id=worker_event["id"], is_original=False)
    split = api_client(dispatcher_of("HC-XY")).post(f"/api/v1/events/{worker_event['id']}/split/",
                                                    {"report_id": str(row.pk), "note": "另一户"}, format="json")  # fmt: skip
    assert split.status_code == 201, split.content
    request = ChannelRequest.objects.select_related("event").get(external_id="GD-400")
    assert str(request.event_id) == split.json()["id"] != worker_event["id"] and not request.attached
    assert request.event.source == "hotline" and request.event.source_ref == str(hotline[0].pk)
    assert Event.objects.get(pk=worker_event["id"]).source == "worker"
