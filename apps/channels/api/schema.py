"""The Open311 GeoReport v2 endpoints in the OpenAPI schema (a drf-spectacular post-processing hook).

They are plain Django views (the spec's form-encoded POST, its error lists and its two formats are not DRF's),
so they are described here by hand: each path ends in ``.{format}`` (``json`` or ``xml``), each answer is
offered as ``application/json`` and ``text/xml`` with the same elements, and errors are the spec's error list.
"""

from typing import Any

BASE = "/open311/v2"
FORMAT = {
    "name": "format", "in": "path", "required": True, "schema": {"type": "string", "enum": ["json", "xml"]},
    "description": "The answer's format: JSON, or XML (the spec's required format) with the same elements.",
}  # fmt: skip
_TEXT = {"type": "string"}
_NUMBER = {"type": "number"}
ERRORS = {
    "type": "array",
    "description": "The spec's error list.",
    "items": {"type": "object", "required": ["code", "description"],
              "properties": {"code": {"type": "integer"}, "description": _TEXT}},
}  # fmt: skip
SERVICE = {
    "type": "object",
    "properties": dict.fromkeys(("service_code", "service_name", "description", "type", "keywords", "group"), _TEXT) | {"metadata": {"type": "boolean"}},
}  # fmt: skip
REQUEST = {
    "type": "object",
    "properties": {
        **{name: {"type": "string", "nullable": True} for name in (
            "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
            "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
            "address", "address_id", "zipcode", "media_url")},
        "lat": {"type": "number", "nullable": True}, "long": {"type": "number", "nullable": True},
    },
}  # fmt: skip
CREATED = {"type": "array", "items": {"type": "object", "properties": dict.fromkeys(("service_request_id", "token", "service_notice", "account_id"), _TEXT)}}  # fmt: skip
DEFINITION = {"type": "object", "properties": {"service_code": _TEXT, "attributes": {"type": "array", "items": {
    "type": "object", "additionalProperties": True}}}}  # fmt: skip
DISCOVERY = {"type": "object", "additionalProperties": True}
POST_FIELDS = {
    "api_key": _TEXT, "service_code": _TEXT, "lat": _NUMBER, "long": _NUMBER, "address_string": _TEXT,
    "address_id": _TEXT, "description": _TEXT, "media_url": _TEXT, "first_name": _TEXT, "last_name": _TEXT,
    "phone": _TEXT, "email": _TEXT, "device_id": _TEXT, "account_id": _TEXT,
}  # fmt: skip
QUERY = [
    ("service_request_id", "Comma-separated request ids (the other filters are then ignored)."),
    ("service_code", "Comma-separated service codes."),
    ("start_date", "W3C datetime; default 90 days ago."),
    ("end_date", "W3C datetime."),
    ("status", "open, closed or open,closed."),
    ("bbox", "Extension: min_long,min_lat,max_long,max_lat."),
]


def _content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}, "text/xml": {"schema": _TEXT}}


def _operation(
    operation_id: str, summary: str, ok: str, body: dict[str, Any], errors: list[str], **extra: Any
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        ok: {"description": "OK" if ok == "200" else "Created", "content": _content(body)}
    }
    for code in errors:
        responses[code] = {"description": "The spec's error list.", "content": _content(ERRORS)}
    # An unknown path (say a service code with characters no code has) is the API's problem document.
    responses.setdefault("404", {"description": "Not found.", "content": {}})["content"].update(
        {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    )
    responses["429"]["description"] = "Throttled; see Retry-After. The spec's error list."
    return {
        "operationId": operation_id,
        "tags": ["open311"],
        "summary": summary,
        "security": [],
        "responses": responses,
        **extra,
    }


def _path(name: str, pattern: str = r"^[\w-]+$") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "pattern": pattern}}


def add_open311_paths(result: dict[str, Any], generator: Any, request: Any, public: Any) -> dict[str, Any]:
    """Add the GeoReport v2 paths (anonymous reads; a POST authenticated by the channel's ``api_key``)."""
    query = [
        {"name": n, "in": "query", "required": False, "schema": _TEXT, "description": d} for n, d in QUERY
    ]
    query += [{"name": n, "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1,
               "maximum": m}, "description": "Extension: paging."} for n, m in (("page", 1_000_000),
                                                                               ("page_size", 1000))]  # fmt: skip
    form = {"content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object", "required": ["api_key", "service_code"], "properties": POST_FIELDS}}}}  # fmt: skip
    paths: dict[str, dict[str, Any]] = {
        f"{BASE}/discovery.{{format}}": {
            "get": _operation("open311_discovery", "Discovery", "200", DISCOVERY, ["429"])
        },
        f"{BASE}/services.{{format}}": {
            "get": _operation(
                "open311_services", "Service list", "200", {"type": "array", "items": SERVICE}, ["429"]
            )
        },
        f"{BASE}/services/{{service_code}}.{{format}}": {
            "get": _operation("open311_service", "Service definition", "200", DEFINITION, ["404", "429"]),
            "parameters": [_path("service_code", r"^[\w.-]+$")],
        },
        f"{BASE}/requests.{{format}}": {
            "get": _operation(
                "open311_requests_list",
                "Service requests",
                "200",
                {"type": "array", "items": REQUEST},
                ["400", "429"],
                parameters=query,
            ),
            "post": _operation(
                "open311_requests_create",
                "Post a service request",
                "201",
                CREATED,
                ["400", "403", "429"],
                requestBody=form,
            ),
        },
        f"{BASE}/requests/{{service_request_id}}.{{format}}": {
            "get": _operation(
                "open311_request",
                "Service request",
                "200",
                {"type": "array", "items": REQUEST},
                ["404", "429"],
            ),
            "parameters": [_path("service_request_id")],
        },
        f"{BASE}/tokens/{{token}}.{{format}}": {
            "get": _operation("open311_token", "Request id from a token", "200", CREATED, ["404", "429"]),
            "parameters": [_path("token")],
        },
    }
    for item in paths.values():
        in_path = [FORMAT, *item.pop("parameters", [])]
        for operation in item.values():
            operation["parameters"] = [*in_path, *operation.get("parameters", [])]
    result.setdefault("paths", {}).update(paths)
    return result
