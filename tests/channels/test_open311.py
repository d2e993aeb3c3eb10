"""Open311 GeoReport v2 conformance: every endpoint in JSON and XML (the XML parsed and checked against the
spec's element names), the spec's errors, the extensions (page, page_size, bbox), no personal data."""

from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from apps.channels.models import ChannelRequest, ServiceAttribute
from apps.events.models import Event, EventCategory
from tests.channels.conftest import HH, XA, act
from tests.registry.conftest import collect_building, shifted, worker

__all__ = ["collect_building", "worker"]

BASE = "/open311/v2"
SERVICE_ELEMENTS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_ELEMENTS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
}  # fmt: skip
ATTRIBUTE_ELEMENTS = {"variable", "code", "datatype", "required", "datatype_description", "order", "description",
                      "values"}  # fmt: skip


def xml(response: Any) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)  # noqa: S314 - our own response


def children(element: ET.Element) -> set[str]:
    return {child.tag for child in element}


def post(client: Client, key: str, fmt: str = "json", **fields: Any) -> Any:
    body = {"api_key": key, "service_code": "sanitation_garbage", "lat": XA[1], "long": XA[0],
            "description": "小区门口垃圾堆积", "first_name": "张", "last_name": "三", "phone": "13912345678",
            "email": "zhang@example.com", **fields}  # fmt: skip
    return client.post(f"{BASE}/requests.{fmt}", {k: v for k, v in body.items() if v is not None})


@pytest.fixture
def anonymous() -> Client:
    return Client()


def test_services_json(routing: Any, anonymous: Client) -> None:
    services = anonymous.get(f"{BASE}/services.json").json()
    private = ("mental_crisis", "special_groups", "floating_population")
    assert (
        len(services) == EventCategory.objects.filter(is_active=True).exclude(family_id__in=private).count()
    )
    assert "crisis_suicide_risk" not in {s["service_code"] for s in services}
    garbage = next(s for s in services if s["service_code"] == "sanitation_garbage")
    assert set(garbage) == SERVICE_ELEMENTS
    assert garbage["group"] == "环境卫生" and garbage["type"] == "realtime" and garbage["metadata"] is False
    assert "垃圾乱堆乱放" in garbage["keywords"]


def test_services_xml(routing: Any, anonymous: Client) -> None:
    root = xml(anonymous.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    assert {child.tag for child in root} == {"service"}
    for service in root:
        assert children(service) == SERVICE_ELEMENTS
    assert root.find("service[service_code='fire_rental']/metadata").text == "false"  # type: ignore[union-attr]


def test_services_speak_english_when_asked(routing: Any, anonymous: Client) -> None:
    services = anonymous.get(f"{BASE}/services.json", HTTP_ACCEPT_LANGUAGE="en").json()
    garbage = next(s for s in services if s["service_code"] == "sanitation_garbage")
    assert garbage["service_name"].isascii() and garbage["group"].isascii()


@pytest.fixture
def attribute(routing: Any) -> ServiceAttribute:
    return ServiceAttribute.objects.create(
        category_id="sanitation_garbage", code="volume", datatype="singlevaluelist", required=True,
        description="垃圾量", order=1, values=[{"key": "small", "name": "少量"}, {"key": "large", "name": "大量"}],
    )  # fmt: skip


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_definition(attribute: ServiceAttribute, anonymous: Client, fmt: str) -> None:
    response = anonymous.get(f"{BASE}/services/sanitation_garbage.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        body = response.json()
        assert body["service_code"] == "sanitation_garbage"
        [attr] = body["attributes"]
        assert set(attr) == ATTRIBUTE_ELEMENTS and attr["values"][1] == {"key": "large", "name": "大量"}
    else:
        root = xml(response)
        assert root.tag == "service_definition" and children(root) == {"service_code", "attributes"}
        [attr] = root.find("attributes")  # type: ignore[misc]
        assert attr.tag == "attribute" and children(attr) == ATTRIBUTE_ELEMENTS
        assert [v.findtext("key") for v in attr.find("values")] == ["small", "large"]  # type: ignore[union-attr]
    services = anonymous.get(f"{BASE}/services.json").json()
    assert next(s for s in services if s["service_code"] == "sanitation_garbage")["metadata"] is True


def test_a_required_attribute_must_be_sent(attribute: Any, open311: Any, anonymous: Client) -> None:
    missing = post(anonymous, open311[1])
    assert missing.status_code == 400 and "attribute[volume]" in missing.json()[0]["description"]
    sent = post(anonymous, open311[1], **{"attribute[volume]": "large"})
    assert sent.status_code == 201
    assert ChannelRequest.objects.get().attributes == {"volume": "large"}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_404_as_an_error_list(routing: Any, anonymous: Client, fmt: str) -> None:
    response = anonymous.get(f"{BASE}/services/no_such_thing.{fmt}")
    assert response.status_code == 404
    if fmt == "json":
        [error] = response.json()
        assert error["code"] == 404 and "no_such_thing" in error["description"]
    else:
        root = xml(response)
        assert root.tag == "errors" and [e.tag for e in root] == ["error"]
        assert children(root[0]) == {"code", "description"} and root[0].findtext("code") == "404"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_a_request_and_read_it_back(open311: Any, anonymous: Client, fmt: str) -> None:
    response = post(anonymous, open311[1], fmt, media_url="https://img.example.com/a.jpg")
    assert response.status_code == 201
    if fmt == "json":
        [created] = response.json()
    else:
        root = xml(response)
        assert root.tag == "service_requests" and [r.tag for r in root] == ["request"]
        assert children(root[0]) == {"service_request_id", "token", "service_notice", "account_id"}
        created = {child.tag: child.text for child in root[0]}
    request = ChannelRequest.objects.select_related("event").get(pk=created["service_request_id"])
    assert request.media_url == "https://img.example.com/a.jpg" and request.event.source == "open311"
    assert request.event.status == "dispatched"

    detail = anonymous.get(f"{BASE}/requests/{request.pk}.{fmt}")
    if fmt == "json":
        [shown] = detail.json()
        assert set(shown) == REQUEST_ELEMENTS
    else:
        root = xml(detail)
        assert root.tag == "service_requests" and children(root[0]) == REQUEST_ELEMENTS
        shown = {child.tag: child.text for child in root[0]}
    assert shown["status"] == "open" and shown["service_code"] == "sanitation_garbage"
    assert shown["agency_responsible"] == request.event.department.name  # type: ignore[union-attr]
    assert shown["media_url"] == "https://img.example.com/a.jpg"
    text = detail.content.decode()
    for personal in ("13912345678", "zhang@example.com", "张", "三"):
        assert personal not in text

    token = anonymous.get(f"{BASE}/tokens/{created['token']}.{fmt}")
    if fmt == "json":
        assert token.json() == [{"service_request_id": str(request.pk), "token": created["token"]}]
    else:
        root = xml(token)
        assert root[0].findtext("service_request_id") == str(request.pk)


def test_the_status_follows_the_event_to_closure(open311: Any, anonymous: Client, department_client: Any,
                                                 channel_client: Any) -> None:  # fmt: skip
    [created] = post(anonymous, open311[1]).json()
    request = ChannelRequest.objects.get(pk=created["service_request_id"])
    department = department_client(request.event.department.code)
    act(department, request.event_id, "sign")
    [signed] = anonymous.get(f"{BASE}/requests/{request.pk}.json").json()
    assert signed["status"] == "open" and signed["status_notes"] == "处置部门已签收"
    act(department, request.event_id, "start")
    act(department, request.event_id, "report_handled", note="已清运")
    verify = channel_client(open311[1]).post(f"/api/v1/channels/requests/{request.pk}/actions/",
                                             {"action": "verify", "ok": True}, format="json")  # fmt: skip
    assert verify.status_code == 200
    [closed] = anonymous.get(f"{BASE}/requests/{request.pk}.json").json()
    assert closed["status"] == "closed" and closed["status_notes"] == "已办结"
    assert "已清运" not in str(closed)  # staff notes are not shown to the public


def test_post_errors(open311: Any, hotline: Any, anonymous: Client) -> None:
    def error(response: Any) -> tuple[int, str]:
        [body] = response.json()
        assert body["code"] == response.status_code
        return response.status_code, body["description"]

    assert error(post(anonymous, ""))[0] == 400
    assert error(post(anonymous, "gch_nope_nope"))[0] == 403
    assert error(post(anonymous, hotline[1]))[0] == 403  # a key, but not of an Open311 channel
    assert error(post(anonymous, open311[1], service_code=None)) == (400, "service_code was not provided")
    assert error(post(anonymous, open311[1], service_code="nope"))[0] == 400
    assert error(post(anonymous, open311[1], service_code="special_correction_missed"))[0] == 400
    assert error(post(anonymous, open311[1], lat=None, long=None))[0] == 400
    assert error(post(anonymous, open311[1], lat="north"))[0] == 400
    assert error(post(anonymous, open311[1], lat=None, long=None, address_id="350205-XX"))[0] == 400
    assert error(post(anonymous, open311[1], media_url="file:///etc/passwd"))[0] == 400
    assert not ChannelRequest.objects.exists()


def test_errors_in_xml(open311: Any, anonymous: Client) -> None:
    response = post(anonymous, "gch_nope_nope", "xml")
    root = xml(response)
    assert response.status_code == 403 and root.tag == "errors"
    assert root[0].findtext("code") == "403" and root[0].findtext("description")
    missing = anonymous.get(f"{BASE}/requests/00000000-0000-0000-0000-000000000000.xml")
    assert missing.status_code == 404 and xml(missing)[0].findtext("code") == "404"
    assert anonymous.get(f"{BASE}/requests/not-an-id.json").status_code == 404
    assert anonymous.get(f"{BASE}/tokens/nope.json").status_code == 404


def test_the_place_by_standard_address_code_or_address(open311: Any, anonymous: Client,
                                                       collect_building: Any) -> None:  # fmt: skip
    building = collect_building(
        point=shifted(XA, 30, 30), address="新垵村三组18号", address_code="3502050010001"
    )
    by_code = post(anonymous, open311[1], lat=None, long=None, address_id="3502050010001")
    assert by_code.status_code == 201, by_code.content
    by_text = post(anonymous, open311[1], lat=None, long=None, address_string="新垵村三组18号",
                   service_code="municipal_road")  # fmt: skip
    assert by_text.status_code == 201, by_text.content
    for created in (by_code.json()[0], by_text.json()[0]):
        event = ChannelRequest.objects.get(pk=created["service_request_id"]).event
        assert event.location.equals_exact(building.record.location, 1e-9)


def test_list_filters_and_extensions(open311: Any, anonymous: Client) -> None:
    ids = [
        post(anonymous, open311[1], description=f"第{i}处").json()[0]["service_request_id"] for i in range(3)
    ]
    far = post(anonymous, open311[1], service_code="municipal_road", lat=HH[1], long=HH[0]).json()[0]
    listed = anonymous.get(f"{BASE}/requests.json").json()
    assert {r["service_request_id"] for r in listed} == {*ids, far["service_request_id"]}
    # Three reports of the same garbage pile: one event, three requests
    assert Event.objects.count() == 2

    by_code = anonymous.get(f"{BASE}/requests.json", {"service_code": "municipal_road"}).json()
    assert [r["service_request_id"] for r in by_code] == [far["service_request_id"]]
    by_id = anonymous.get(f"{BASE}/requests.json", {"service_request_id": f"{ids[0]},{ids[2]}"}).json()
    assert {r["service_request_id"] for r in by_id} == {ids[0], ids[2]}
    assert anonymous.get(f"{BASE}/requests.json", {"status": "closed"}).json() == []
    assert len(anonymous.get(f"{BASE}/requests.json", {"status": "open"}).json()) == 4

    bbox = f"{HH[0] - 0.001},{HH[1] - 0.001},{HH[0] + 0.001},{HH[1] + 0.001}"
    assert [
        r["service_request_id"] for r in anonymous.get(f"{BASE}/requests.json", {"bbox": bbox}).json()
    ] == [far["service_request_id"]]
    pages = [anonymous.get(f"{BASE}/requests.json", {"page": p, "page_size": 3}).json() for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [3, 1, 0]
    assert anonymous.get(f"{BASE}/requests.json", {"start_date": "2000-01-01T00:00:00Z",
                                                   "end_date": "2000-02-01T00:00:00Z"}).json() == []  # fmt: skip
    root = xml(anonymous.get(f"{BASE}/requests.xml", {"page_size": 2}))
    assert root.tag == "service_requests" and len(root) == 2 and children(root[0]) == REQUEST_ELEMENTS
    for bad in ({"bbox": "1,2,3"}, {"page_size": 5000}, {"status": "pending"}, {"start_date": "yesterday"}):
        response = anonymous.get(f"{BASE}/requests.json", bad)
        assert response.status_code == 400 and response.json()[0]["code"] == 400


def test_requests_of_other_channels_are_not_listed(open311: Any, hotline: Any, channel_client: Any,
                                                   anonymous: Client) -> None:  # fmt: skip
    from tests.channels.conftest import order

    result = channel_client(hotline[1]).post("/api/v1/channels/hotline/orders/", {"orders": [order("GD-1")]},
                                             format="json").json()["results"][0]  # fmt: skip
    assert anonymous.get(f"{BASE}/requests.json").json() == []
    assert anonymous.get(f"{BASE}/requests/{result['request_id']}.json").status_code == 404


def test_discovery(anonymous: Client, routing: Any) -> None:
    body = anonymous.get(f"{BASE}/discovery.json").json()
    assert body["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    root = xml(anonymous.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery" and root.find("endpoints/endpoint/formats/format") is not None
