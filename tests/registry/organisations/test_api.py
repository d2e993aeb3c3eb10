"""Organisations and employments over HTTP: collect 201/200, detail with history and the access log, If-Match,
filters, masking, visibility."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.journal.models import AccessLogEntry
from apps.registry.organisations.models import Organisation
from tests.registry.conftest import HH, XA, geo, id_number, shifted

from .conftest import credit_code

pytestmark = pytest.mark.django_db


def post_org(client: APIClient, point: tuple[float, float] = XA, **data: Any) -> Any:
    return client.post(
        "/api/v1/organisations/", {"location": geo(point), "name": "阿明五金店", **data}, format="json"
    )


def test_collect_created_then_merged_with_match(client: APIClient) -> None:
    created = post_org(client, credit_code=credit_code())
    assert created.status_code == 201, created.json()
    merged = post_org(client, shifted(XA, east_m=40), name="别名", credit_code=credit_code().lower())
    assert merged.status_code == 200, merged.json()
    body = merged.json()
    assert body["id"] == created.json()["id"] == body["merged_into"]
    assert body["match"] == {"score": 1.0, "reasons": ["same credit code"]}
    assert merged["ETag"] == '"2"'


def test_bad_credit_code_is_a_field_error_naming_the_rule(client: APIClient) -> None:
    response = post_org(client, credit_code="91350100M000100Y44")
    assert response.status_code == 400
    assert "credit_code_checksum" in response.json()["errors"]["credit_code"][0]
    kept = post_org(client, credit_code="91350100M000100Y44", code_unverified=True)
    assert kept.status_code == 201
    assert Organisation.objects.get(pk=kept.json()["id"]).code_unverified


def test_list_masks_detail_reveals_and_logs(client: APIClient) -> None:
    number = id_number(seq="321")
    org_id = post_org(client, legal_rep_id_number=number, phone="13812345678").json()["id"]
    listed = client.get("/api/v1/organisations/").json()["results"]
    assert listed[0]["legal_rep_id_number"] == number[:6] + "********" + number[-4:]
    assert listed[0]["phone"] == "138****5678"
    assert not AccessLogEntry.objects.filter(record_type="organisation").exists()
    detail = client.get(f"/api/v1/organisations/{org_id}/")
    assert detail.status_code == 200 and detail["ETag"] == '"1"'
    assert detail.json()["legal_rep_id_number"] == number and len(detail.json()["observations"]) == 1
    entry = AccessLogEntry.objects.get(record_type="organisation")
    assert sorted(entry.fields) == ["legal_rep_id_number", "phone"]


def test_filters(client: APIClient) -> None:
    post_org(client, name="阿明五金店", kind="individual", area_m2=50)
    post_org(client, shifted(XA, north_m=500), name="海沧大酒店有限公司", kind="enterprise", status="closed")

    def names(query: str) -> list[str]:
        return sorted(o["name"] for o in client.get(f"/api/v1/organisations/?{query}").json()["results"])

    assert names("kind=individual") == ["阿明五金店"]
    assert names("tag=nine_small") == ["阿明五金店"]
    assert names("status=closed") == ["海沧大酒店有限公司"]
    assert names("text=厦门海沧大酒店") == ["海沧大酒店有限公司"]
    assert names("grid=HC-XY-XA-01") == ["海沧大酒店有限公司", "阿明五金店"]


def test_filter_by_building(client: APIClient, collect_building: Callable[..., Any]) -> None:
    building = collect_building().record
    post_org(client, building_id=str(building.pk))
    post_org(client, shifted(XA, north_m=500), name="别的店")
    found = client.get(f"/api/v1/organisations/?building={building.pk}").json()["results"]
    assert [o["name"] for o in found] == ["阿明五金店"]


def test_update_needs_if_match_and_rederives_nine_small(client: APIClient) -> None:
    org_id = post_org(client, area_m2=50).json()["id"]
    url = f"/api/v1/organisations/{org_id}/"
    assert client.patch(url, {"area_m2": 900}, format="json").status_code == 428
    assert client.patch(url, {"area_m2": 900}, format="json", HTTP_IF_MATCH='"7"').status_code == 412
    response = client.patch(url, {"area_m2": 900}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.json()
    assert response.json()["tags"] == [] and response["ETag"] == '"2"'


def test_other_grids_organisations_are_404(
    client: APIClient, api_client: Callable[[Any], APIClient], worker_of: Callable[..., Any]
) -> None:
    other = api_client(worker_of("HC-SY-HH-01"))
    response = post_org(other, HH)
    assert response.status_code == 201, response.json()
    assert client.get(f"/api/v1/organisations/{response.json()['id']}/").status_code == 404
    assert client.get("/api/v1/organisations/").json()["results"] == []


def test_merged_id_resolves_to_the_canonical_record(client: APIClient) -> None:
    first = post_org(client).json()["id"]
    second = post_org(client, shifted(XA, east_m=5), id="0193a0b0-0000-7000-8000-000000000001").json()
    assert second["id"] == first
    assert client.get("/api/v1/organisations/0193a0b0-0000-7000-8000-000000000001/").json()["id"] == first


def test_employments(client: APIClient, collect_person: Callable[..., Any]) -> None:
    org_id = post_org(client).json()["id"]
    person = collect_person(name="黄明").record
    body = {"person_id": str(person.pk), "organisation_id": org_id, "role": "店员", "since": "2026-01-01"}
    created = client.post("/api/v1/employments/", body, format="json")
    assert created.status_code == 201, created.json()
    again = client.post("/api/v1/employments/", {**body, "role": "店长"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    listed = client.get(f"/api/v1/employments/?organisation={org_id}&current=true").json()["results"]
    assert [e["role"] for e in listed] == ["店长"]
    ended = client.post(
        f"/api/v1/employments/{created.json()['id']}/end/", {"until": "2026-06-30"}, format="json"
    )
    assert ended.status_code == 200 and ended.json()["until"] == "2026-06-30"
    unknown = client.post(
        "/api/v1/employments/",
        {**body, "organisation_id": "0193a0b0-0000-7000-8000-00000000ffff"},
        format="json",
    )
    assert unknown.status_code == 400 and "organisation_id" in unknown.json()["errors"]


def test_credit_code_errors_are_in_chinese_by_default(client: APIClient) -> None:
    response = post_org(client, credit_code="91350100M000100Y44")
    assert "统一社会信用代码的校验码错误" in response.json()["errors"]["credit_code"][0]


def test_update_to_a_code_another_organisation_holds_is_refused(client: APIClient) -> None:
    post_org(client, name="甲店", credit_code=credit_code("MA2XN2JX"))
    other = post_org(client, shifted(XA, north_m=500), name="乙店").json()["id"]
    response = client.patch(
        f"/api/v1/organisations/{other}/", {"credit_code": credit_code("MA2XN2JX")}, format="json",
        HTTP_IF_MATCH='"1"',
    )  # fmt: skip
    assert response.status_code == 400 and "credit_code" in response.json()["errors"]
    assert client.patch(
        f"/api/v1/organisations/{other}/",
        {"credit_code": credit_code("MA31ABCD")},
        format="json",
        HTTP_IF_MATCH='"1"',
    ).json()["credit_code"] == credit_code("MA31ABCD")
