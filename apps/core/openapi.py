"""drf-spectacular hooks: every operation documents its problem-details error responses."""

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
            codes = ["400", "404", "405", "406", "413", "415", "429"]
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
    return result
