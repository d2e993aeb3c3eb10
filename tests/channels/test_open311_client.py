"""End to end with an independent Open311 client from PyPI (``georeport``) against gunicorn: list the
services, post a request, read it back in JSON and XML as its state moves through the closed loop.

``georeport`` has no call to post a request, so the POST is made with plain httpx as the spec describes it
(form-encoded, with ``api_key``); everything else goes through the library.
"""

from typing import Any

import httpx
import pytest
from georeport import GeoReport

from tests.channels.conftest import XA, act
from tests.live import gunicorn

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_a_georeport_client_follows_a_request_through_the_loop(open311: Any, channel_client: Any,
                                                               department_client: Any) -> None:  # fmt: skip
    with gunicorn() as base:
        as_json = GeoReport(f"{base}/open311/v2", output_format="json")
        as_xml = GeoReport(f"{base}/open311/v2", output_format="xml")
        services = as_json.get_service_list()
        assert "sanitation_garbage" in {s["service_code"] for s in services}
        assert {s["service_code"] for s in as_xml.get_service_list()} == {s["service_code"] for s in services}
        assert as_xml.get_service_definition("sanitation_garbage")["service_code"] == "sanitation_garbage"

        posted = httpx.post(f"{base}/open311/v2/requests.json", data={
            "api_key": open311[1], "service_code": "sanitation_garbage", "lat": str(XA[1]), "long": str(XA[0]),
            "description": "小区门口垃圾堆积", "media_url": "https://img.example.com/pile.jpg",
        })  # fmt: skip
        assert posted.status_code == 201, posted.text
        request_id = posted.json()[0]["service_request_id"]

        shown = as_json.get_service_request(request_id)
        assert shown["status"] == "open" and shown["media_url"] == "https://img.example.com/pile.jpg"
        department = shown["agency_responsible"]
        assert department
        assert as_xml.get_service_request(request_id)["status"] == "open"
        listed = as_json.get_service_requests(service_code="sanitation_garbage", status="open")
        assert [r["service_request_id"] for r in listed] == [request_id]

        from apps.channels.models import ChannelRequest

        request = ChannelRequest.objects.select_related("event__department").get(pk=request_id)
        handler = department_client(request.event.department.code)  # type: ignore[union-attr]
        for action in ("sign", "start", "report_handled"):
            act(handler, request.event_id, action, note="已清运" if action == "report_handled" else "")
        assert as_json.get_service_request(request_id)["status_notes"] == "已处置，等待核查"
        verified = channel_client(open311[1]).post(f"/api/v1/channels/requests/{request_id}/actions/",
                                                   {"action": "verify", "ok": True}, format="json")  # fmt: skip
        assert verified.status_code == 200

        closed = as_xml.get_service_request(request_id)
        assert closed["status"] == "closed" and closed["service_request_id"] == request_id
        assert as_json.get_service_requests(service_request_id=request_id)[0]["status"] == "closed"
        assert as_json.get_service_requests(status="open") == []
