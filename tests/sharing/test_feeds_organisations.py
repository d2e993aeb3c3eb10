"""Organisations (实有单位) and employments (从业人员) shared like buildings and people: each field present in
full, masked or absent by the grant, through the feed and REST; the territory bounds the scope; ``person_tags``
narrows employments to the tagged people; reveals are access-logged; a page costs the same queries at any size."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.identity import mask_id_number
from apps.journal.models import AccessLogEntry
from apps.registry.organisations.inputs import OrganisationDataSerializer
from apps.registry.organisations.services import employment_apply, employment_end, organisation_collect
from apps.registry.services import ObservationMeta
from tests.registry.conftest import HH, XA, id_number, shifted
from tests.registry.organisations.conftest import credit_code
from tests.sharing.conftest import read_feed

LEGAL_REP_ID = id_number("19700101", "318")
ORG_PHONE = "13905921234"


@pytest.fixture
def collect_org(worker: Any) -> Callable[..., Any]:
    def collect(point: tuple[float, float] = XA, collector: Any = None, **data: Any) -> Any:
        valid = OrganisationDataSerializer(data=data)
        valid.is_valid(raise_exception=True)
        meta = ObservationMeta(collector=collector or worker, location=Point(*point, srid=4326))
        return organisation_collect(data=dict(valid.validated_data), meta=meta, payload=data).record

    return collect


@pytest.fixture
def orgs(records: dict[str, Any], collect_org: Callable[..., Any], worker_of: Any) -> dict[str, Any]:
    """In 新垵村 grid 01 a restaurant (with its legal representative's numbers) employing the elder and the
    tenant; in 海虹社区 (outside 新阳街道) another shop with its employee."""
    shop = collect_org(
        name="新阳好味道餐饮店", credit_code=credit_code("MA2XN2JX"), kind="individual", industry="餐饮",
        room="101", floor="1", legal_rep_name="林大海", legal_rep_id_number=LEGAL_REP_ID, phone=ORG_PHONE,
        area_m2=120, seats=40, staff=6,
    )  # fmt: skip
    elder_job, _ = employment_apply(
        person=records["elder"], organisation=shop, role="收银", since=dt.date(2025, 3, 1)
    )
    tenant_job, _ = employment_apply(person=records["tenant"], organisation=shop, role="厨师")
    far = collect_org(name="海虹五金店", point=HH, collector=worker_of("HC-SY-HH-01"))
    far_job, _ = employment_apply(person=records["tenant"], organisation=far, role="店员")
    return {"shop": shop, "elder_job": elder_job, "tenant_job": tenant_job, "far": far, "far_job": far_job}


# (record, field, sensitivity, value in full, what an ungranted reader gets: a masked value, or None = absent)
MATRIX = [
    ("organisation", "name", "public", "新阳好味道餐饮店", None),
    ("organisation", "credit_code", "public", credit_code("MA2XN2JX"), None),
    ("organisation", "room", "internal", "101", None),
    ("organisation", "legal_rep_name", "internal", "林大海", None),
    ("organisation", "legal_rep_id_number", "sensitive", LEGAL_REP_ID, mask_id_number(LEGAL_REP_ID)),
    ("organisation", "phone", "sensitive", ORG_PHONE, "139****1234"),
    ("employment", "role", "internal", "收银", None),
    ("employment", "since", "internal", "2025-03-01", None),
]
RECORD_OF = {"organisation": "shop", "employment": "elder_job"}
ANCHOR = {"organisation": "organisation.status", "employment": "employment.organisation_id"}


def through_feed(client: Any, subscription: Any, orgs: Any, kind: str) -> dict[str, Any]:
    changes, _cursor = read_feed(client, subscription)
    return next(c for c in changes if c["id"] == str(orgs[RECORD_OF[kind]].pk))["data"]


def through_rest(client: Any, subscription: Any, orgs: Any, kind: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/feeds/{subscription.pk}/records/{kind}/{orgs[RECORD_OF[kind]].pk}/")
    assert response.status_code == 200, response.content
    return dict(response.json()["data"])


@pytest.mark.parametrize("read", [through_feed, through_rest], ids=["feed", "rest"])
@pytest.mark.parametrize("granted", [True, False], ids=["granted", "not-granted"])
@pytest.mark.parametrize(("kind", "field", "sensitivity", "full", "ungranted"), MATRIX,
                         ids=[f"{m[2]}:{m[0]}.{m[1]}" for m in MATRIX])  # fmt: skip
def test_field_is_present_masked_or_absent(orgs: Any, subscribe: Any, civil_client: Any, read: Any, granted: bool,
                                           kind: str, field: str, sensitivity: str, full: Any, ungranted: Any) -> None:  # fmt: skip
    fields = [ANCHOR[kind], f"{kind}.{field}"] if granted else [ANCHOR[kind]]
    subscription = subscribe(fields, record_types=["organisation", "employment"])
    data = read(civil_client, subscription, orgs, kind)
    if granted:
        assert data[field] == full
    elif ungranted is None:
        assert field not in data
    else:
        assert data[field] == ungranted


def test_the_feed_sends_organisations_and_employments_of_the_territory_only(orgs: Any, subscribe: Any,
                                                                             civil_client: Any) -> None:  # fmt: skip
    subscription = subscribe(
        ["organisation.name", "organisation.location", "employment.person_id", "employment.role"],
        record_types=["organisation", "employment"],
    )
    changes, _cursor = read_feed(civil_client, subscription)
    assert {c["type"] for c in changes} == {"organisation", "employment"}  # buildings are not granted
    sent = {c["id"]: c for c in changes}
    assert set(sent) == {str(orgs[name].pk) for name in ("shop", "elder_job", "tenant_job")}
    shop = sent[str(orgs["shop"].pk)]
    assert shop["data"] == {"name": "新阳好味道餐饮店", "legal_rep_id_number": mask_id_number(LEGAL_REP_ID),
                            "phone": "139****1234"}  # fmt: skip
    assert shop["geometry"]["coordinates"] == pytest.approx(list(XA))
    assert sent[str(orgs["elder_job"].pk)]["data"] == {
        "person_id": str(orgs["elder_job"].person_id),
        "role": "收银",
    }
    for name in ("far", "far_job"):
        response = civil_client.get(f"/api/v1/feeds/{subscription.pk}/records/{orgs[name]._meta.model_name}/"
                                    f"{orgs[name].pk}/")  # fmt: skip
        assert response.status_code == 404
    assert not AccessLogEntry.objects.exists()  # masked numbers reveal nothing


def test_a_read_of_the_legal_representatives_numbers_is_access_logged(orgs: Any, subscribe: Any,
                                                                       civil_client: Any) -> None:  # fmt: skip
    subscription = subscribe(["organisation.name", "organisation.legal_rep_id_number", "organisation.phone"],
                             record_types=["organisation"], purpose="九小场所消防检查")  # fmt: skip
    read_feed(civil_client, subscription)
    entry = AccessLogEntry.objects.get(record_ids__contains=[orgs["shop"].pk])
    assert (entry.record_type, entry.fields, entry.channel) == ("organisation", ["legal_rep_id_number", "phone"],
                                                                "feed")  # fmt: skip
    assert entry.subscription_id == subscription.pk and entry.purpose == "九小场所消防检查"


def test_person_tags_keep_only_the_employments_of_tagged_people(orgs: Any, subscribe: Any,
                                                                civil_client: Any) -> None:  # fmt: skip
    subscription = subscribe(["employment.role", "organisation.name"], record_types=["organisation", "employment"],
                             person_tags=["elderly_alone"])  # fmt: skip
    changes, _cursor = read_feed(civil_client, subscription)
    sent = {c["id"]: c for c in changes}
    assert sent[str(orgs["elder_job"].pk)]["data"] == {"role": "收银"}
    assert sent[str(orgs["tenant_job"].pk)] == {"type": "employment", "id": str(orgs["tenant_job"].pk),
                                                "deleted": True, "reason": "out_of_scope"}  # fmt: skip
    assert not sent[str(orgs["shop"].pk)]["deleted"]  # organisations are not people: the tags do not apply
    rest = civil_client.get(f"/api/v1/feeds/{subscription.pk}/records/employment/{orgs['tenant_job'].pk}/")
    assert rest.status_code == 404


@pytest.mark.django_db(transaction=True)  # feeds read committed journal entries only
def test_changes_follow_an_ended_employment_and_a_new_one(orgs: Any, records: Any, subscribe: Any,
                                                          civil_client: Any, collect_org: Any) -> None:  # fmt: skip
    subscription = subscribe(["employment.role", "employment.until", "organisation.name"],
                             record_types=["organisation", "employment"])  # fmt: skip
    _changes, cursor = read_feed(civil_client, subscription)
    employment_end(employment=orgs["tenant_job"], until=dt.date(2026, 11, 30))
    bakery = collect_org(name="新垵面包坊", point=shifted(XA, north_m=200))
    job, _ = employment_apply(person=records["elder"], organisation=bakery, role="学徒")
    changes, cursor = read_feed(civil_client, subscription, cursor)
    assert {c["id"]: (c["type"], c["data"]) for c in changes} == {
        str(orgs["tenant_job"].pk): ("employment", {"role": "厨师", "until": "2026-11-30"}),
        str(bakery.pk): ("organisation", {"name": "新垵面包坊"}),
        str(job.pk): ("employment", {"role": "学徒", "until": None}),
    }
    again, _cursor = read_feed(civil_client, subscription, cursor)
    assert again == []  # each change once


def test_a_page_costs_the_same_queries_for_3_or_30_organisations(
    orgs: Any, subscribe: Any, civil_client: Any, collect_org: Any, records: Any,
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    fields = ["organisation.name", "organisation.legal_rep_id_number", "employment.role"]
    subscription = subscribe(
        fields, record_types=["organisation", "employment"], person_tags=["elderly_alone"]
    )
    url = f"/api/v1/feeds/{subscription.pk}/changes/"

    def page_queries(organisations: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = civil_client.get(url, {"limit": 1000})
        assert response.status_code == 200
        sent = [c for c in response.json()["changes"] if c["type"] == "organisation" and not c["deleted"]]
        assert len(sent) == organisations
        return len(captured.captured_queries)

    civil_client.get(url)  # the key's first use of the day writes its last-seen time
    few = page_queries(1)
    for i in range(27):
        shop = collect_org(name=f"新垵第{i}号商店", point=shifted(XA, north_m=15 * i + 40),
                           legal_rep_id_number=id_number("19800101", f"{100 + i}"))  # fmt: skip
        employment_apply(person=records["elder" if i % 2 else "tenant"], organisation=shop, role="店员")
    many = page_queries(28)
    assert many == few
    with django_assert_max_num_queries(few):
        assert civil_client.get(url, {"limit": 1000}).status_code == 200
