"""Every operation of the committed schema, called with A's ids (see outsider.py). A new operation fails
``test_every_operation_has_an_attack`` until it has a row here."""

from .conftest import JPEG_B
from .operations_newer import NEWER_ATTACKS
from .outsider import HIDDEN, REFUSED, Attack, a, b, if_match

UNTIL = {"until": "2030-01-01"}

ATTACKS: dict[tuple[str, str], list[Attack]] = {
    ("get", "/api/v1/attachments/{sha256}/"): [Attack(params={"sha256": a("photo")}, owner="worker_a")],
    ("put", "/api/v1/attachments/{sha256}/"): [
        Attack(params={"sha256": a("photo")}, raw=JPEG_B, allowed=REFUSED),
    ],
    ("get", "/api/v1/auth/me/"): [Attack(allowed=frozenset({200, 403}))],
    ("post", "/api/v1/auth/token/"): [
        Attack(body=lambda w: {"username": w.users["worker_a"].username, "password": "not-it", "device_id": "x"},
               allowed=frozenset({400, 401, 403}), callers=("worker_b",)),
    ],
    # Names nothing of A's: B revokes its own credential, and nothing of A's changes.
    ("delete", "/api/v1/auth/token/"): [Attack(allowed=frozenset({204, 400, 401, 403}))],
    ("get", "/api/v1/buildings/"): [Attack(allowed=frozenset({200, 403}))],
    ("post", "/api/v1/buildings/"): [
        Attack(body=lambda w: {"address": "海虹社区乙巷5号", "location": _hh(), "landlord_id": w.ids["person"]}, allowed=REFUSED),
        Attack(body=lambda w: {"address": "海虹社区乙巷6号", "location": _hh(), "photos": [w.ids["photo"]]}, allowed=REFUSED),
        Attack(body=lambda w: {"address": "海虹社区乙巷7号", "location": _hh(), "id": w.ids["building"]}, allowed=REFUSED),
    ],
    ("get", "/api/v1/buildings/{id}/"): [Attack(params={"id": a("building")}, owner="worker_a")],
    ("patch", "/api/v1/buildings/{id}/"): [
        Attack(params={"id": a("building")}, body=lambda w: {"name": "乙改"}, headers=if_match("building")),
        Attack(params={"id": b("building")}, body=lambda w: {"landlord_id": w.ids["person"]},
               headers=if_match("building", "b"), allowed=REFUSED, callers=("worker_b",)),
        Attack(params={"id": b("building")}, body=lambda w: {"photos": [w.ids["photo"]]},
               headers=if_match("building", "b"), allowed=REFUSED, callers=("worker_b",)),
    ],
    ("get", "/api/v1/departments/"): [Attack(allowed=frozenset({200, 403}))],
    # The departments are the city's organisation chart: the same for everybody signed in.
    ("get", "/api/v1/departments/{id}/"): [Attack(params={"id": a("department")}, allowed=frozenset({200, 403, 404}))],
    ("get", "/api/v1/departments/{id}/api-keys/"): [Attack(params={"id": a("department")}, owner="key_a")],
    ("get", "/api/v1/departments/{id}/members/"): [Attack(params={"id": a("department")}, owner="key_a")],
    ("get", "/api/v1/events/"): [Attack(allowed=frozenset({200, 403}))],
    ("post", "/api/v1/events/"): [
        Attack(body=lambda w: _event(photos=[w.ids["photo"]]), allowed=REFUSED, callers=("worker_b", "dispatcher_b")),
        Attack(body=lambda w: _event(building_id=w.ids["building"]), allowed=REFUSED, callers=("worker_b", "dispatcher_b")),
        Attack(body=lambda w: _event(person_ids=[w.ids["person"]]), allowed=REFUSED, callers=("worker_b", "dispatcher_b")),
        Attack(body=lambda w: _event(id=w.ids["event"]), allowed=REFUSED, callers=("worker_b", "dispatcher_b")),
    ],
    ("get", "/api/v1/events/{id}/"): [Attack(params={"id": a("event")}, owner="worker_a")],
    ("post", "/api/v1/events/{id}/actions/"): [
        Attack(params={"id": a("event")}, body=lambda w: {"action": "sign", "note": "乙"}, headers=if_match("event")),
        Attack(params={"id": a("event")}, body=lambda w: {"action": "remind", "note": "乙"}, headers=if_match("event")),
    ],
    ("post", "/api/v1/events/{id}/split/"): [
        Attack(params={"id": a("event")}, body=lambda w: {"report_id": w.ids["event"]}, headers=if_match("event")),
    ],
    ("get", "/api/v1/events/categories/"): [Attack(allowed=frozenset({200}))],
    ("get", "/api/v1/events/notices/"): [Attack(allowed=frozenset({200, 403}))],
    ("post", "/api/v1/events/route-preview/"): [
        Attack(body=lambda w: {"category": "dispute_neighbour", "location": _xa()}, allowed=frozenset({200, 403})),
    ],
    ("get", "/api/v1/events/triage/"): [Attack(allowed=frozenset({200, 403}))],
    ("get", "/api/v1/feeds/{subscription_id}/changes/"): [
        Attack(params={"subscription_id": a("subscription")}, owner="key_a"),
    ],
    ("get", "/api/v1/feeds/{subscription_id}/records/{record_type}/{record_id}/"): [
        Attack(params={"subscription_id": a("subscription"), "record_type": lambda w: "building",
                       "record_id": a("building")}, owner="key_a"),
    ],
    ("get", "/api/v1/people/"): [Attack(allowed=frozenset({200, 403}))],
    ("post", "/api/v1/people/"): [
        Attack(body=lambda w: {"name": "乙新", "location": _hh(),
                               "residence": {"building_id": w.ids["building"], "relation": "tenant"}}, allowed=REFUSED),
        Attack(body=lambda w: {"name": "乙新", "location": _hh(), "id": w.ids["person"]}, allowed=REFUSED),
    ],
    ("get", "/api/v1/people/{id}/"): [Attack(params={"id": a("person")}, owner="worker_a")],
    ("patch", "/api/v1/people/{id}/"): [
        Attack(params={"id": a("person")}, body=lambda w: {"name": "乙改"}, headers=if_match("person")),
    ],
    ("post", "/api/v1/people/search/"): [
        Attack(body=lambda w: {"id_number": w_id_number()}, allowed=frozenset({200, 403, 404})),
    ],
    ("get", "/api/v1/registry/merges/"): [Attack(allowed=frozenset({200, 403}))],
    ("post", "/api/v1/registry/merges/"): [
        Attack(body=lambda w: {"record_type": "building", "survivor_id": w.b_ids["building"],
                               "merged_id": w.ids["building"]}, allowed=REFUSED),
        Attack(body=lambda w: {"record_type": "building", "survivor_id": w.ids["building"],
                               "merged_id": w.b_ids["building"]}, allowed=REFUSED),
    ],
    ("get", "/api/v1/registry/merges/{id}/"): [Attack(params={"id": a("merge")}, owner="dispatcher_a")],
    ("post", "/api/v1/registry/merges/{id}/undo/"): [Attack(params={"id": a("merge")})],
    ("get", "/api/v1/registry/reviews/"): [Attack(allowed=frozenset({200, 403}))],
    ("get", "/api/v1/registry/reviews/{id}/"): [Attack(params={"id": a("review")}, owner="dispatcher_a")],
    ("post", "/api/v1/registry/reviews/{id}/decide/"): [
        Attack(params={"id": a("review")}, body=lambda w: {"decision": "keep_apart"}),
    ],
    ("get", "/api/v1/residences/"): [
        Attack(query=lambda w: {"person": w.ids["person"]}, allowed=frozenset({200, 400, 403})),
        Attack(query=lambda w: {"building": w.ids["building"]}, allowed=frozenset({200, 400, 403})),
    ],
    ("post", "/api/v1/residences/"): [
        Attack(body=lambda w: {"person_id": w.b_ids["person"], "building_id": w.ids["building"],
                               "relation": "tenant"}, allowed=REFUSED),
        Attack(body=lambda w: {"person_id": w.ids["person"], "building_id": w.b_ids["building"],
                               "relation": "tenant"}, allowed=REFUSED),
    ],
    ("get", "/api/v1/residences/{id}/"): [Attack(params={"id": a("residence")}, owner="worker_a")],
    ("post", "/api/v1/residences/{id}/end/"): [Attack(params={"id": a("residence")}, body=lambda w: UNTIL)],
    ("get", "/api/v1/sharing/access-log/"): [
        Attack(query=lambda w: {"record_id": w.ids["person"]}, allowed=frozenset({200, 403})),
    ],
    ("get", "/api/v1/sharing/catalogue/"): [Attack(allowed=frozenset({200, 403}))],
    ("get", "/api/v1/sharing/deliveries/"): [Attack(allowed=frozenset({200, 403}))],
    ("get", "/api/v1/sharing/deliveries/{id}/"): [Attack(params={"id": a("delivery")})],
    ("post", "/api/v1/sharing/deliveries/{id}/replay/"): [Attack(params={"id": a("delivery")})],
    ("get", "/api/v1/sharing/endpoints/"): [Attack(allowed=frozenset({200, 403}))],
    ("post", "/api/v1/sharing/endpoints/"): [
        Attack(body=lambda w: {"department": w.users["dept_a"].code, "url": "https://b.example.org/hook"}),
    ],
    ("get", "/api/v1/sharing/endpoints/{id}/"): [Attack(params={"id": a("endpoint")})],
    ("get", "/api/v1/sharing/subscriptions/"): [Attack(allowed=frozenset({200, 403}))],
    ("post", "/api/v1/sharing/subscriptions/"): [
        Attack(body=lambda w: {"department": w.users["dept_b"].code, "name": "乙", "record_types": ["person"],
                               "nodes": ["HC-XY"], "fields": ["person.id_number"], "purpose": "乙"}),
    ],
    ("get", "/api/v1/sharing/subscriptions/{id}/"): [Attack(params={"id": a("subscription")})],
    ("patch", "/api/v1/sharing/subscriptions/{id}/"): [
        Attack(params={"id": a("subscription")}, body=lambda w: {"name": "乙改"}),
    ],
    ("get", "/api/v1/sync/conflicts/"): [Attack(allowed=frozenset({200, 403}))],
    ("get", "/api/v1/sync/conflicts/{id}/"): [Attack(params={"id": a("conflict")}, owner="dispatcher_a")],
    ("post", "/api/v1/sync/conflicts/{id}/resolve/"): [
        Attack(params={"id": a("conflict")}, body=lambda w: {"keep": "device"}),
    ],
    ("get", "/api/v1/sync/pull/"): [
        Attack(query=lambda w: {"cursor": w.ids["cursor"]}, allowed=frozenset({403, 410}), owner="worker_a"),
    ],
    ("post", "/api/v1/sync/push/"): [
        # Every push type with A's references: test_push_references.py. Here: A's cursor, which B may not use.
        Attack(body=lambda w: {"device_id": "phone-b", "cursor": w.ids["cursor"], "mutations": []},
               allowed=frozenset({200, 400, 403, 410})),
    ],
    ("get", "/api/v1/territory/assignments/"): [Attack(allowed=frozenset({200, 403}))],
    ("post", "/api/v1/territory/assignments/"): [
        Attack(body=lambda w: {"worker": str(w.users["worker_a"].pk), "grid": "HC-SY-HH-01",
                               "valid_from": "2030-01-01"}, allowed=REFUSED),
        Attack(body=lambda w: {"worker": str(w.users["worker_b"].pk), "grid": "HC-XY-XA-01",
                               "valid_from": "2030-01-01"}, allowed=REFUSED),
    ],
    ("get", "/api/v1/territory/assignments/{id}/"): [Attack(params={"id": a("assignment")}, owner="dispatcher_a")],
    ("post", "/api/v1/territory/assignments/{id}/end/"): [
        Attack(params={"id": a("assignment")}, body=lambda w: {"valid_to": "2030-01-01"}),
    ],
    ("post", "/api/v1/territory/import/"): [
        Attack(body=lambda w: {"type": "FeatureCollection", "features": []}, allowed=frozenset({403})),
    ],
    # The territory, its boundaries and the catalogue are public to everybody signed in.
    ("get", "/api/v1/territory/locate/"): [Attack(query=lambda w: {"lon": 118.023, "lat": 24.485}, allowed=frozenset({200, 403}))],
    ("get", "/api/v1/territory/nodes/"): [Attack(allowed=frozenset({200, 403}))],
    ("get", "/api/v1/territory/nodes/{code}/"): [Attack(params={"code": a("grid")}, allowed=frozenset({200, 403, 404}))],
    ("get", "/healthz"): [Attack(allowed=frozenset({200}))],
    ("get", "/readyz"): [Attack(allowed=frozenset({200, 503}))],
}  # fmt: skip
ATTACKS.update(NEWER_ATTACKS)

# A read of A's record: hidden; the same read by A's caller (``owner``) succeeds.
assert all(
    attack.allowed <= HIDDEN | REFUSED | {200, 204, 401, 410, 503}
    for attacks in ATTACKS.values()
    for attack in attacks
)


def _hh() -> dict[str, object]:
    return {"type": "Point", "coordinates": [118.0550, 24.4350]}


def _xa() -> dict[str, object]:
    return {"type": "Point", "coordinates": [118.0230, 24.4850]}


def _event(**extra: object) -> dict[str, object]:
    return {"category": "dispute_neighbour", "title": "乙事件", "location": _hh(), **extra}


def w_id_number() -> str:
    from .conftest import ID_NUMBER_A

    return ID_NUMBER_A
