"""Open311 under the project's rules: throttled like every other view (per channel key, per anonymous client,
allowing without a cache), and the address of a report resolved through the visibility gate."""

import inspect
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import Client, override_settings

from apps.accounts import throttling
from apps.channels import selectors
from apps.channels.models import ChannelRequest
from apps.registry.models import BuildingAddress
from apps.registry.services.merging import record_merge
from tests.channels.conftest import XA
from tests.channels.test_open311 import BASE, post
from tests.registry.conftest import collect_building, shifted, worker

__all__ = ["collect_building", "worker"]


def _with_rates(**rates: str) -> Any:
    config = dict(settings.REST_FRAMEWORK)
    config["DEFAULT_THROTTLE_RATES"] = {**config["DEFAULT_THROTTLE_RATES"], **rates}  # type: ignore[dict-item]
    return override_settings(REST_FRAMEWORK=config)


@pytest.fixture(autouse=True)
def _cache_breaker_closed() -> Any:
    throttling._cache_down_until = 0.0
    yield
    throttling._cache_down_until = 0.0


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_anonymous_readers_are_throttled_per_client(routing: Any, fmt: str) -> None:
    with _with_rates(anon="3/min"):
        codes = [Client().get(f"{BASE}/services.{fmt}").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        throttled = Client().get(f"{BASE}/requests.{fmt}")
        elsewhere = Client(REMOTE_ADDR="10.1.2.3").get(f"{BASE}/services.{fmt}")
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    if fmt == "json":
        assert throttled.json() == [{"code": 429, "description": "too many requests, retry later"}]
    else:
        error = ET.fromstring(throttled.content)  # noqa: S314 - our own response
        assert error.tag == "errors" and error[0].findtext("code") == "429"
    assert elsewhere.status_code == 200  # another client has its own budget


def test_each_channel_key_has_its_own_budget(open311: Any, make_channel: Any) -> None:
    _, other_key = make_channel("open311", "另一个应用")
    with _with_rates(session="2/min", anon="100/min"):
        codes = [post(Client(), open311[1], description=f"第{i}处").status_code for i in range(3)]
        assert codes == [201, 201, 429]
        assert post(Client(), other_key).status_code == 201
        assert Client().get(f"{BASE}/services.json").status_code == 200  # reading is the address's budget
    assert ChannelRequest.objects.count() == 3


def test_a_wrong_key_spends_the_anonymous_budget(open311: Any) -> None:
    with _with_rates(anon="2/min", session="100/min"):
        codes = [post(Client(), "gch_nope_nope").status_code for _ in range(3)]
    assert codes == [403, 403, 429]


def test_open311_works_without_a_cache(
    open311: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dead = {"default": {"BACKEND": "apps.core.cache.RedisCache",
                        "LOCATION": f"unix://{tmp_path / 'no-redis.sock'}"}}  # fmt: skip
    with override_settings(CACHES=dead), _with_rates(anon="1/min", session="1/min"):
        assert [post(Client(), open311[1]).status_code for _ in range(2)] == [201, 201]
        assert [Client().get(f"{BASE}/services.xml").status_code for _ in range(2)] == [200, 200]
    assert any("cache unavailable" in r.getMessage() for r in caplog.records)


def test_the_address_is_read_through_the_gate(open311: Any, collect_building: Any) -> None:
    assert "objects" not in inspect.getsource(selectors.building_by_address)
    building = collect_building(
        point=shifted(XA, 30, 30), address="新垵村三组18号", address_code="3502050010001"
    )
    channel_account = open311[0].account
    found = selectors.building_by_address(principal=channel_account, address_id="3502050010001")
    assert isinstance(found, BuildingAddress) and found.pk == building.record.pk
    assert selectors.building_by_address(principal=AnonymousUser(), address_id="3502050010001") is None


def test_a_merged_building_is_never_the_place(open311: Any, collect_building: Any, admin_user: Any) -> None:
    survivor = collect_building(point=shifted(XA, 30, 30), address="新垵村三组18号")
    merged = collect_building(point=shifted(XA, -30, -30), address="新垵村三组20号")
    record_merge(
        record_type="building", survivor_id=survivor.record.pk, merged_id=merged.record.pk, actor=admin_user
    )
    found = selectors.building_by_address(principal=open311[0].account, address="新垵村三组20号")
    assert found is None
    response = post(Client(), open311[1], lat=None, long=None, address_string="新垵村三组20号")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("start_date=0678-11-24T16:01:52%2B21:10", 200),  # an offset PostgreSQL refuses: compared in UTC
        ("end_date=0001-01-01T00:00:00%2B05:00", 400),  # no UTC form
        ("service_code=a%00b", 400),
        ("status=op%00en", 400),
        ("bbox=nan,nan,nan,nan", 400),
        ("bbox=1e999,0,1,1", 400),
        ("page=" + "9" * 5000, 400),
    ],
)
def test_odd_query_values_are_answered_never_a_server_error(routing: Any, query: str, status: int) -> None:
    for fmt in ("json", "xml"):
        response = Client().get(f"{BASE}/requests.{fmt}?{query}")
        assert response.status_code == status, response.content
    # The transaction the test runs in is intact.
    assert Client().get(f"{BASE}/requests.json").status_code == 200


@pytest.mark.parametrize(
    "field", ["service_code", "address_string", "description", "first_name", "media_url"]
)
def test_nul_in_a_posted_field_is_a_400(open311: Any, field: str) -> None:
    response = post(Client(), open311[1], **{field: "a\x00b"})
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": f"{field} contains a NUL character"}]
    assert ChannelRequest.objects.count() == 0
