"""The attacks on the operations of organisations, operations (patrols, points, check-ins, visits, tasks),
watch rules and alerts, channels and statistics: A's records named in paths, bodies and query filters."""

from typing import Any

from .outsider import HIDDEN, OUTSIDERS, REFUSED, Attack, a, b, if_match
from .records import HH_POINT, STARTED, fixes

LISTED = frozenset({200, 403})
NARROWED = frozenset({200, 400, 403})  # a list filtered by A's ids: empty, or the filter refused
WITH_CHANNEL = (*OUTSIDERS, "channel_b")
WORKER_B = ("worker_b",)
DISPATCHER_B = ("dispatcher_b",)


def _visit(**extra: Any) -> dict[str, Any]:
    return {"started_at": STARTED, "outcome": "done", **extra}


def _org(**extra: Any) -> dict[str, Any]:
    return {"name": "乙新店", "kind": "individual", "location": HH_POINT, **extra}


def _new_patrol(w: Any, **extra: Any) -> dict[str, Any]:
    import uuid

    return {"id": str(uuid.uuid4()), "kind": "routine", "started_at": STARTED, "points": fixes((118.055, 24.435)),
            **extra}  # fmt: skip


def _checkin_at(point: str) -> list[dict[str, Any]]:
    return [{"point_id": point, "t": "2026-11-16T09:02:00+08:00", "lon": 118.0551, "lat": 24.4350, "accuracy_m": 5,
             "method": "gps"}]  # fmt: skip


def _task(subject_type: str, subject_id: str) -> dict[str, Any]:
    return {
        "kind": "visit",
        "title": "乙任务",
        "due": "2026-12-01",
        "subject": {"type": subject_type, "id": subject_id},
    }


def _rule(w: Any, **extra: Any) -> dict[str, Any]:
    return {"name": "乙规则", "department": w.users["dept_b"].code, "tags": ["elderly_alone"], "nodes": ["HC-XY"],
            "kinds": ["arrival"], "purpose": "乙", **extra}  # fmt: skip


def _event_of_request(w: Any) -> str:
    a("channel_request")(w)
    return str(w.records["channel_request"].event_id)  # type: ignore[attr-defined]


def _request_of_a(w: Any) -> str:
    return str(a("channel_request")(w))


def _token_of_a(w: Any) -> str:
    a("channel_request")(w)
    return str(w.records["channel_request"].token)  # type: ignore[attr-defined]


def _stats(**extra: Any) -> Any:
    return lambda w: {"period": "month", "start": "2026-11-01", **extra}


NEWER_ATTACKS: dict[tuple[str, str], list[Attack]] = {
    # Alerts of watch rules: the department's own, the grid's workers, a dispatcher's territory.
    ("get", "/api/v1/alerts/"): [
        Attack(query=lambda w: {"grid": w.ids["grid"]}, allowed=NARROWED),
        Attack(query=lambda w: {"kind": "arrival", "status": "new"}, allowed=NARROWED),
    ],
    ("get", "/api/v1/alerts/{id}/"): [Attack(params={"id": a("alert")}, owner="key_a")],
    ("post", "/api/v1/alerts/{id}/acknowledge/"): [Attack(params={"id": a("alert")})],
    # Watch rules: administrators only.
    ("get", "/api/v1/watch-rules/"): [Attack(allowed=frozenset({403}))],
    ("post", "/api/v1/watch-rules/"): [Attack(body=lambda w: _rule(w), allowed=frozenset({403}))],
    ("get", "/api/v1/watch-rules/{id}/"): [Attack(params={"id": a("watch_rule")}, owner="admin")],
    ("patch", "/api/v1/watch-rules/{id}/"): [
        Attack(params={"id": a("watch_rule")}, body=lambda w: {"purpose": "乙改"}),
    ],
    # Channels: administrators manage them; a channel's system acts on its own requests only.
    ("get", "/api/v1/channels/"): [Attack(allowed=frozenset({401, 403}), callers=WITH_CHANNEL)],
    ("post", "/api/v1/channels/"): [
        Attack(body=lambda w: {"name": "乙渠道", "kind": "hotline", "endpoint": w.ids["endpoint"]},
               allowed=frozenset({401, 403}), callers=WITH_CHANNEL),
    ],
    ("get", "/api/v1/channels/{channel_id}/"): [
        Attack(params={"channel_id": a("channel")}, owner="admin", callers=WITH_CHANNEL,
               allowed=HIDDEN | {401}),
    ],
    ("patch", "/api/v1/channels/{channel_id}/"): [
        Attack(params={"channel_id": a("channel")}, body=lambda w: {"is_active": False}, callers=WITH_CHANNEL,
               allowed=HIDDEN | {401}),
    ],
    ("put", "/api/v1/channels/{channel_id}/mappings/"): [
        Attack(params={"channel_id": a("channel")}, body=lambda w: {"mappings": {"0301": "fire_rental"}},
               callers=WITH_CHANNEL, allowed=HIDDEN | {401}),
    ],
    ("post", "/api/v1/channels/{channel_id}/key/"): [
        Attack(params={"channel_id": a("channel")}, callers=WITH_CHANNEL, allowed=HIDDEN | {401}),
    ],
    ("get", "/api/v1/channels/events/{event_id}/callers/"): [
        Attack(params={"event_id": a("event")}, owner="key_a", callers=WITH_CHANNEL, allowed=HIDDEN | {401}),
        Attack(params={"event_id": lambda w: _event_of_request(w)}, callers=WITH_CHANNEL,
               allowed=HIDDEN | {401}),
    ],
    ("post", "/api/v1/channels/hotline/orders/"): [
        Attack(body=lambda w: {"orders": [{"order_no": "甲-0001", "category": "0301", "title": "乙", "lon": 118.0226,
                                           "lat": 24.4851}]},
               callers=WITH_CHANNEL, allowed=frozenset({401, 403})),
    ],
    ("post", "/api/v1/channels/requests/{request_id}/actions/"): [
        Attack(params={"request_id": a("channel_request")}, body=lambda w: {"action": "ok", "note": "乙"},
               callers=WITH_CHANNEL, allowed=HIDDEN | {401}),
        Attack(params={"request_id": a("channel_request")}, body=lambda w: {"action": "rating", "rating": 1},
               callers=WITH_CHANNEL, allowed=HIDDEN | {400, 401}),
    ],
    ("post", "/api/v1/channels/sensors/alarms/"): [
        Attack(body=lambda w: {"alarms": [{"sensor_id": "甲-1", "kind": "smoke", "level": "alarm"}]},
               allowed=frozenset({401, 403})),
    ],
    # Organisations and employments.
    ("get", "/api/v1/organisations/"): [
        Attack(query=lambda w: {"building": w.ids["building"]}, allowed=NARROWED),
        Attack(query=lambda w: {"grid": w.ids["grid"]}, allowed=NARROWED),
        Attack(query=lambda w: {"text": "甲秘商店"}, allowed=NARROWED),
    ],
    ("post", "/api/v1/organisations/"): [
        Attack(body=lambda w: _org(building_id=w.ids["building"]), allowed=REFUSED),
        Attack(body=lambda w: _org(photos=[w.ids["photo"]]), allowed=REFUSED),
        Attack(body=lambda w: _org(id=a("organisation")(w)), allowed=REFUSED),
    ],
    ("get", "/api/v1/organisations/{id}/"): [Attack(params={"id": a("organisation")}, owner="worker_a")],
    ("patch", "/api/v1/organisations/{id}/"): [
        Attack(params={"id": a("organisation")}, body=lambda w: {"name": "乙改"}, headers=if_match("organisation")),
        Attack(params={"id": b("organisation")}, body=lambda w: {"building_id": w.ids["building"]},
               headers=if_match("organisation", "b"), allowed=REFUSED, callers=WORKER_B),
        Attack(params={"id": b("organisation")}, body=lambda w: {"photos": [w.ids["photo"]]},
               headers=if_match("organisation", "b"), allowed=REFUSED, callers=WORKER_B),
    ],
    ("get", "/api/v1/employments/"): [
        Attack(query=lambda w: {"person": w.ids["person"]}, allowed=NARROWED),
        Attack(query=lambda w: {"organisation": a("organisation")(w)}, allowed=NARROWED),
    ],
    ("post", "/api/v1/employments/"): [
        Attack(body=lambda w: {"person_id": w.b_ids["person"], "organisation_id": a("organisation")(w)},
               allowed=REFUSED),
        Attack(body=lambda w: {"person_id": w.ids["person"], "organisation_id": b("organisation")(w)},
               allowed=REFUSED),
        Attack(body=lambda w: {"person_id": w.b_ids["person"], "organisation_id": b("organisation")(w),
                               "id": a("employment")(w)}, allowed=REFUSED, callers=WORKER_B),
    ],
    ("get", "/api/v1/employments/{id}/"): [Attack(params={"id": a("employment")}, owner="worker_a")],
    ("post", "/api/v1/employments/{id}/end/"): [
        Attack(params={"id": a("employment")}, body=lambda w: {"until": "2026-11-30"}),
    ],
    # Patrols, patrol points and check-ins.
    ("get", "/api/v1/patrols/"): [
        Attack(query=lambda w: {"worker": str(w.users["worker_a"].pk)}, allowed=NARROWED),
        Attack(query=lambda w: {"grid": w.ids["grid"]}, allowed=NARROWED),
    ],
    ("post", "/api/v1/patrols/"): [
        Attack(body=lambda w: _new_patrol(w, id=a("patrol")(w)), allowed=REFUSED),
        Attack(body=lambda w: _new_patrol(w, grid_codes=[w.ids["grid"]]), allowed=REFUSED),
        Attack(body=lambda w: _new_patrol(w, checkins=_checkin_at(a("patrol_point")(w))), allowed=REFUSED),
    ],
    ("get", "/api/v1/patrols/{id}/"): [Attack(params={"id": a("patrol")}, owner="worker_a")],
    ("get", "/api/v1/patrols/{id}/track/"): [Attack(params={"id": a("patrol")}, owner="worker_a")],
    ("post", "/api/v1/patrols/{id}/chunks/"): [
        Attack(params={"id": a("patrol")}, body=lambda w: {"points": fixes((118.0225, 24.4850))}, allowed=REFUSED),
        Attack(params={"id": a("patrol")}, body=lambda w: {"ended_at": "2026-11-16T10:00:00+08:00"},
               allowed=REFUSED),
        Attack(params={"id": b("patrol")}, body=lambda w: {"checkins": _checkin_at(a("patrol_point")(w))},
               allowed=REFUSED, callers=WORKER_B),
        Attack(params={"id": b("patrol")}, body=lambda w: {"grid_codes": [w.ids["grid"]]},
               allowed=REFUSED, callers=WORKER_B),
    ],
    ("get", "/api/v1/patrol-points/"): [
        Attack(query=lambda w: {"grid": w.ids["grid"]}, allowed=NARROWED),
    ],
    ("post", "/api/v1/patrol-points/"): [
        Attack(body=lambda w: {"grid": w.ids["grid"], "name": "乙点", "location": HH_POINT}, allowed=REFUSED),
    ],
    ("get", "/api/v1/patrol-points/missed/"): [
        Attack(query=lambda w: {"since": "2026-11-01", "until": "2026-11-30"}, allowed=NARROWED),
    ],
    ("get", "/api/v1/patrol-points/{id}/"): [Attack(params={"id": a("patrol_point")}, owner="worker_a")],
    ("patch", "/api/v1/patrol-points/{id}/"): [
        Attack(params={"id": a("patrol_point")}, body=lambda w: {"name": "乙改"}),
        Attack(params={"id": b("patrol_point")}, body=lambda w: {"grid": w.ids["grid"]}, allowed=REFUSED,
               callers=DISPATCHER_B),
    ],
    ("delete", "/api/v1/patrol-points/{id}/"): [Attack(params={"id": a("patrol_point")})],
    ("get", "/api/v1/checkins/"): [
        Attack(query=lambda w: {"point": a("patrol_point")(w)}, allowed=NARROWED),
        Attack(query=lambda w: {"patrol": a("patrol")(w)}, allowed=NARROWED),
    ],
    ("get", "/api/v1/checkins/{id}/"): [Attack(params={"id": a("checkin")}, owner="worker_a")],
    # Visits and tasks.
    ("get", "/api/v1/visits/"): [
        Attack(query=lambda w: {"person": w.ids["person"]}, allowed=NARROWED),
        Attack(query=lambda w: {"worker": str(w.users["worker_a"].pk)}, allowed=NARROWED),
        Attack(query=lambda w: {"grid": w.ids["grid"]}, allowed=NARROWED),
    ],
    ("post", "/api/v1/visits/"): [
        Attack(body=lambda w: _visit(building_id=w.ids["building"]), allowed=REFUSED),
        Attack(body=lambda w: _visit(person_ids=[w.ids["person"]]), allowed=REFUSED),
        Attack(body=lambda w: _visit(organisation_id=a("organisation")(w)), allowed=REFUSED),
        Attack(body=lambda w: _visit(task_id=a("task")(w)), allowed=REFUSED),
        Attack(body=lambda w: _visit(event_ids=[w.ids["event"]]), allowed=REFUSED),
        Attack(body=lambda w: _visit(photos=[w.ids["photo"]]), allowed=REFUSED),
        Attack(body=lambda w: _visit(id=a("visit")(w), notes="乙改"), allowed=REFUSED),
    ],
    ("get", "/api/v1/visits/{id}/"): [Attack(params={"id": a("visit")}, owner="worker_a")],
    ("get", "/api/v1/tasks/"): [
        Attack(query=lambda w: {"grid": w.ids["grid"]}, allowed=NARROWED),
    ],
    ("post", "/api/v1/tasks/"): [
        Attack(body=lambda w: _task("person", w.ids["person"]), allowed=REFUSED),
        Attack(body=lambda w: _task("building", w.ids["building"]), allowed=REFUSED),
        Attack(body=lambda w: _task("organisation", a("organisation")(w)), allowed=REFUSED),
    ],
    ("get", "/api/v1/tasks/notices/"): [Attack(allowed=LISTED)],
    ("get", "/api/v1/tasks/{id}/"): [Attack(params={"id": a("task")}, owner="worker_a")],
    ("post", "/api/v1/tasks/{id}/cancel/"): [Attack(params={"id": a("task")})],
    ("post", "/api/v1/tasks/{id}/status/"): [
        Attack(params={"id": a("task")}, body=lambda w: {"status": "accepted"}),
        Attack(params={"id": a("task")}, body=lambda w: {"status": "unable", "note": "乙"}),
    ],
    # Statistics count only within the caller's own scope (a dispatcher's territory, a department's own work):
    # naming A's node or department narrows that, or is a field error (test_stats_scope.py counts it).
    ("get", "/api/v1/stats/indicators/"): [
        Attack(query=_stats(), allowed=LISTED),
        Attack(query=_stats(node="HC-XY-XA-01", dimension="worker"), allowed=NARROWED),
        Attack(query=lambda w: _stats(department=w.users["dept_a"].code)(w), allowed=NARROWED),
    ],
    ("get", "/api/v1/stats/registry/"): [
        Attack(query=_stats(), allowed=LISTED),
        Attack(query=_stats(node="HC-XY-XA-01"), allowed=NARROWED),
    ],
    # Open311 (GeoReport v2) is public: anyone reads the catalogue and the Open311 requests, which carry no
    # personal data; A's hotline request (a caller's name and phone) is no Open311 request and stays hidden.
    ("get", "/open311/v2/discovery.{format}"): [
        Attack(params={"format": lambda w: "json"}, allowed=frozenset({200}), callers=WITH_CHANNEL),
    ],
    ("get", "/open311/v2/services.{format}"): [
        Attack(params={"format": lambda w: "json"}, allowed=frozenset({200}), callers=WITH_CHANNEL),
    ],
    ("get", "/open311/v2/services/{service_code}.{format}"): [
        Attack(params={"format": lambda w: "json", "service_code": lambda w: "dispute_neighbour"},
               allowed=frozenset({200}), callers=WITH_CHANNEL),
    ],
    ("get", "/open311/v2/requests.{format}"): [
        Attack(params={"format": lambda w: "json"}, query=lambda w: {"service_request_id": _request_of_a(w)},
               allowed=frozenset({200}), callers=WITH_CHANNEL),
        Attack(params={"format": lambda w: "xml"}, query=lambda w: {"service_code": "dispute_neighbour"},
               allowed=frozenset({200}), callers=WITH_CHANNEL),
    ],
    ("post", "/open311/v2/requests.{format}"): [
        # A JSON body carries no form-encoded api_key; A's hotline key is not an Open311 key.
        Attack(params={"format": lambda w: "json"}, body=lambda w: {"service_code": "dispute_neighbour",
               "lat": 24.4851, "long": 118.0226, "description": "乙"}, allowed=frozenset({400, 403}),
               callers=WITH_CHANNEL),
    ],
    ("get", "/open311/v2/requests/{service_request_id}.{format}"): [
        Attack(params={"format": lambda w: "json", "service_request_id": _request_of_a},
               allowed=frozenset({404}), callers=WITH_CHANNEL),
    ],
    ("get", "/open311/v2/tokens/{token}.{format}"): [
        Attack(params={"format": lambda w: "json", "token": _token_of_a}, allowed=frozenset({404}),
               callers=WITH_CHANNEL),
    ],
}  # fmt: skip
