"""Subscriptions are granted and changed by administrators only, every change audited; the catalogue and the
access log as the API serves them."""

from typing import Any

from apps.sharing.models import Subscription, SubscriptionAudit
from tests.sharing.conftest import read_feed


def body(**extra: Any) -> dict[str, Any]:
    return {"department": "HC-MZ", "name": "关爱", "record_types": ["person"], "fields": ["person.name", "person.tags"],
            "nodes": ["HC-XY"], "person_tags": ["elderly_alone"], "purpose": "独居老人关爱服务", **extra}  # fmt: skip


def test_an_administrator_grants_and_changes_a_subscription_audited(
    civil: Any, admin_user: Any, api_client: Any
) -> None:
    admin = api_client(admin_user)
    created = admin.post("/api/v1/sharing/subscriptions/", body(), format="json")
    assert created.status_code == 201, created.content
    sid = created.json()["id"]
    assert created.json()["nodes"] == ["HC-XY"] and created.json()["version"] == 1
    changed = admin.patch(f"/api/v1/sharing/subscriptions/{sid}/", {"fields": ["person.name"], "is_active": False},
                          format="json")  # fmt: skip
    assert (
        changed.status_code == 200
        and changed.json()["version"] == 2
        and changed.json()["fields"] == ["person.name"]
    )
    audit = list(SubscriptionAudit.objects.filter(subscription_id=sid).order_by("id"))
    assert [a.action for a in audit] == ["created", "deactivated"]
    assert audit[1].before["fields"] == ["person.name", "person.tags"] and audit[1].after["fields"] == [
        "person.name"
    ]
    assert audit[1].actor == admin_user


def test_invalid_grants_are_400_with_field_errors(civil: Any, admin_user: Any, api_client: Any) -> None:
    admin = api_client(admin_user)
    for bad, field in ((body(fields=["person.salary"]), "fields"), (body(purpose=""), "purpose"),
                       (body(fields=["building.address"]), "fields"), (body(delivery="webhook"), "endpoint"),
                       (body(nodes=["NOPE"]), "nodes"), (body(department="NOPE"), "department")):  # fmt: skip
        response = admin.post("/api/v1/sharing/subscriptions/", bad, format="json")
        assert response.status_code == 400 and field in response.json()["errors"], (bad, response.content)
    assert not Subscription.objects.exists()


def test_only_administrators_write_and_departments_read_their_own(civil: Any, admin_user: Any, api_client: Any,
                                                                   civil_client: Any, department: Any,
                                                                   api_key_of: Any, make_user: Any) -> None:  # fmt: skip
    sid = api_client(admin_user).post("/api/v1/sharing/subscriptions/", body(), format="json").json()["id"]
    assert civil_client.post("/api/v1/sharing/subscriptions/", body(), format="json").status_code == 403
    assert api_client(make_user("dispatcher")).get("/api/v1/sharing/subscriptions/").status_code == 403
    assert [s["id"] for s in civil_client.get("/api/v1/sharing/subscriptions/").json()["results"]] == [sid]
    _key, other = api_key_of(department(code="HC-GA"))
    assert api_client(other).get(f"/api/v1/sharing/subscriptions/{sid}/").status_code == 404
    assert (
        civil_client.patch(f"/api/v1/sharing/subscriptions/{sid}/", {"name": "x"}, format="json").status_code
        == 403
    )


def test_the_catalogue_lists_every_field_with_its_sensitivity(civil_client: Any) -> None:
    rows = {row["name"]: row for row in civil_client.get("/api/v1/sharing/catalogue/").json()}
    assert rows["person.id_number"]["sensitivity"] == "sensitive" and rows["person.id_number"]["maskable"]
    assert rows["person.tags"]["sensitivity"] == "special"
    assert (
        rows["building.address"]["sensitivity"] == "public"
        and rows["person.name"]["sensitivity"] == "internal"
    )


def test_the_access_log_is_for_administrators(records: Any, subscribe: Any, civil_client: Any, admin_user: Any, civil: Any,
                                              api_client: Any) -> None:  # fmt: skip
    subscription = subscribe(["person.id_number"], record_types=["person"])
    read_feed(civil_client, subscription)
    log = (
        api_client(admin_user)
        .get("/api/v1/sharing/access-log/", {"record_id": str(records["elder"].pk)})
        .json()
    )
    assert [(e["department_id"], e["fields"], e["channel"]) for e in log["results"]] == [
        (str(civil.pk), ["id_number"], "feed")
    ]
    assert str(records["elder"].pk) in log["results"][0]["record_ids"]
    assert civil_client.get("/api/v1/sharing/access-log/").status_code == 403


def test_full_views_of_people_by_users_are_logged(records: Any, api_client: Any, worker: Any) -> None:
    from apps.journal.models import AccessLogEntry

    client = api_client(worker)

    def rest_reads() -> dict[Any, list[list[str]]]:
        reads: dict[Any, list[list[str]]] = {}
        for record_ids, fields in (
            AccessLogEntry.objects.filter(user_id=worker.pk, channel="rest")
            .order_by("id")
            .values_list("record_ids", "fields")
        ):
            for record_id in record_ids:
                reads.setdefault(record_id, []).append(fields)
        return reads

    assert client.get(f"/api/v1/people/{records['elder'].pk}/").status_code == 200
    assert rest_reads() == {
        records["elder"].pk: [["id_number", "location", "phone", "tags"]],
        records["residence"].pk: [["room"]],  # the detail lists the residences with their rooms
    }
    assert client.get("/api/v1/people/").status_code == 200  # lists mask numbers; tags and location are shown
    reads = rest_reads()
    assert reads[records["elder"].pk][-1] == ["location", "tags"]
    assert reads[records["tenant"].pk] == [["location"]]
    pulled = client.get("/api/v1/sync/pull/", {"types": "person,residence"})
    assert pulled.status_code == 200
    # One row per set of fields revealed by the page, listing the records.
    logged = {
        record_id: fields
        for record_ids, fields in AccessLogEntry.objects.filter(
            user_id=worker.pk, channel="pull"
        ).values_list("record_ids", "fields")
        for record_id in record_ids
    }
    assert logged[records["elder"].pk] == ["id_number", "location", "phone", "tags"]
    assert logged[records["residence"].pk] == ["room"] and logged[records["tenant"].pk] == ["location"]
