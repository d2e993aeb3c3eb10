"""drf-spectacular hooks: every operation documents its problem-details error responses."""

import re
from typing import Any

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "description": "Field name → messages (nested for nested input).",
            "oneOf": [{"type": "object", "additionalProperties": True}, {"type": "array", "items": {}}],
        },
        "allowed": {
            "description": "For 409 on an event action: the actions the caller may take instead.",
            "type": "array",
            "items": {"type": "string"},
        },
    },
}

_DESCRIPTIONS = {
    "400": "Invalid input; `errors` names the fields.",
    "401": "Missing or invalid credentials.",
    "403": "Authenticated but not allowed.",
    "404": "Not found, or not visible to the caller.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "Conflicts with the current state (e.g. already decided, already merged).",
    "412": "The resource changed since the ETag given in If-Match.",
    "428": "If-Match is required.",
    "413": "Request body too large.",
    "415": "Unsupported media type.",
    "429": "Throttled; see Retry-After.",
    "414": "Request line too long (over 8,190 bytes: the path with its query string).",
    "431": "A request header, or all of them, too large (over 8,190 bytes each, 100 headers).",
    "503": "A service the request needs is unavailable for a moment; retry after Retry-After seconds.",
}


def add_problem_responses(
    result: dict[str, Any], generator: Any, request: Any, public: Any
) -> dict[str, Any]:
    """Add the shared ``Problem`` schema and reference it from each operation's error responses."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    ref = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            codes = ["400", "404", "405", "406", "413", "414", "415", "429", "431", "503"]
            if method != "get":
                codes.append("409")
            if any(
                p.get("in") == "header" and p.get("name") == "If-Match"
                for p in operation.get("parameters", [])
            ):
                codes += ["412", "428"]
            if operation.get("security") != [{}] and operation.get("security") != []:
                codes += ["401", "403"]
            for code in codes:
                if code in responses:
                    responses[code].setdefault("content", {}).update(ref)
                else:
                    responses[code] = {"description": _DESCRIPTIONS[code], "content": ref}
    for schema in result["components"]["schemas"].values():
        _drop_impossible_defaults(schema)
    return result


def _drop_impossible_defaults(schema: Any) -> None:
    """Remove a ``default`` its own schema refuses (``default: ''`` with ``minLength: 1`` or a ``pattern``).

    DRF's ``CharField(required=False, default="")`` fills in an empty value the server's own validation
    would refuse from a client; the default is the server's business, so the schema states only the rule a
    client must follow (strict validators reject the contradiction).
    """
    if isinstance(schema, dict):
        default = schema.get("default")
        if isinstance(default, str) and (
            len(default) < schema.get("minLength", 0)
            or ("pattern" in schema and re.search(schema["pattern"], default) is None)
        ):
            del schema["default"]
        for value in schema.values():
            _drop_impossible_defaults(value)
    elif isinstance(schema, list):
        for value in schema:
            _drop_impossible_defaults(value)
