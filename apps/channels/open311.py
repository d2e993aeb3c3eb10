"""Open311 GeoReport v2 documents (https://wiki.open311.org/GeoReport_v2): the shapes and their JSON and XML.

The element names are the spec's. XML is the spec's required format: each list has its root element
(``services``, ``service_definition``, ``service_requests``, ``errors``) and one child per item.
"""

import datetime as dt
from typing import Any
from xml.etree import ElementTree as ET

import orjson
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import get_language

from apps.events.models import Event, EventCategory, Status

from .models import ChannelRequest, ServiceAttribute
from .services.notices import open311_status

# The item element of each list root.
ITEMS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
         "values": "value", "endpoints": "endpoint", "formats": "format"}  # fmt: skip


class Open311Error(Exception):
    """An error as the spec lists it: an HTTP status and a description."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return w3c(value) or ""
    return str(value)


def w3c(value: dt.datetime | None) -> str | None:
    """A W3C datetime with its offset, in the server's time zone (the spec's example: 2010-04-14T06:37:38-08:00)."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _element(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, list):
        item = ITEMS.get(name, "item")
        for entry in value:
            _element(child, item, entry)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _element(child, key, inner)
    else:
        child.text = _text(value)


def render(document: Any, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    """``document`` (a list of items, or one dict for ``service_definition``) as JSON or XML."""
    if fmt == "json":
        return HttpResponse(
            orjson.dumps(document), status=status, content_type="application/json; charset=utf-8"
        )
    top = ET.Element(root)
    items = document if isinstance(document, list) else [document]
    if isinstance(document, list):
        for entry in items:
            _element(top, ITEMS[root], entry)
    else:
        for key, value in document.items():
            _element(top, key, value)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="unicode").encode()
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def render_error(error: Open311Error, fmt: str) -> HttpResponse:
    return render(
        [{"code": error.code, "description": error.description}], fmt, root="errors", status=error.code
    )


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _name(record: Any) -> str:
    return (record.name_en or record.name) if _english() else record.name


def service_of(category: EventCategory, with_attributes: set[str]) -> dict[str, Any]:
    family = category.family
    keywords = [family.name, family.name_en, category.name, category.name_en, category.code, family.code]
    return {
        "service_code": category.code, "service_name": _name(category),
        "description": f"{_name(family)}: {_name(category)}",
        "metadata": category.code in with_attributes, "type": "realtime",
        "keywords": ", ".join(dict.fromkeys(k for k in keywords if k)), "group": _name(family),
    }  # fmt: skip


def attribute_of(attribute: ServiceAttribute) -> dict[str, Any]:
    return {
        "variable": True, "code": attribute.code, "datatype": attribute.datatype, "required": attribute.required,
        "datatype_description": attribute.datatype_description, "order": attribute.order,
        "description": attribute.description,
        "values": [{"key": v.get("key", ""), "name": v.get("name", "")} for v in attribute.values],
    }  # fmt: skip


# What the event's state says to the resident (status_notes): no names, no notes of the staff.
NOTES = {
    Status.REPORTED: "已受理，等待分拨", Status.ACCEPTED: "已受理，等待分拨", Status.DISPATCHED: "已分拨至处置部门",
    Status.SIGNED: "处置部门已签收", Status.IN_PROGRESS: "正在处置", Status.HANDLED: "已处置，等待核查",
    Status.CLOSED: "已办结", Status.RATED: "已办结并回访", Status.CANCELLED: "已注销", Status.MERGED: "已并入其他事件",
}  # fmt: skip
NOTES_EN = {
    Status.REPORTED: "Received, awaiting dispatch", Status.ACCEPTED: "Received, awaiting dispatch",
    Status.DISPATCHED: "Dispatched to the responsible agency", Status.SIGNED: "Accepted by the agency",
    Status.IN_PROGRESS: "In progress", Status.HANDLED: "Handled, awaiting verification", Status.CLOSED: "Closed",
    Status.RATED: "Closed and followed up", Status.CANCELLED: "Cancelled", Status.MERGED: "Merged into another case",
}  # fmt: skip


def request_of(request: ChannelRequest) -> dict[str, Any]:
    """One service request: the request's own words and place, its event's state and department only."""
    event: Event = request.event
    notes = (NOTES_EN if _english() else NOTES).get(Status(event.status), "")
    return {
        "service_request_id": str(request.pk), "status": open311_status(event.status), "status_notes": notes,
        "service_name": _name(event.category), "service_code": event.category_id,
        "description": request.description,
        "agency_responsible": _name(event.department) if event.department else "",
        "service_notice": "", "requested_datetime": w3c(request.created_at),
        "updated_datetime": w3c(max(request.updated_at, event.updated_at)),
        "expected_datetime": w3c(event.handle_by or event.sign_by), "address": request.address,
        "address_id": request.address_id, "zipcode": "", "lat": round(event.location.y, 7),
        "long": round(event.location.x, 7), "media_url": request.media_url,
    }  # fmt: skip
