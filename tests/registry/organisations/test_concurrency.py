"""Twenty devices collecting the same new shop at the same moment (against gunicorn): one organisation."""

from collections import Counter
from typing import Any

import pytest

from apps.accounts.services import device_token_issue
from apps.core.ids import uuid7
from apps.registry.organisations.models import Organisation
from apps.territory.selectors import today
from apps.territory.services import grid_assignment_create
from tests.factories import TEST_PASSWORD, UserFactory
from tests.live import gunicorn
from tests.registry.conftest import XA, geo, shifted
from tests.registry.organisations.conftest import credit_code
from tests.registry.test_concurrency import THREADS, hammer

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_twenty_devices_collecting_one_new_shop_make_one_organisation(territory: Any) -> None:
    tokens = []
    for n in range(THREADS):
        worker = UserFactory()
        grid_assignment_create(worker=worker, grid=territory["HC-XY-XA-01"], valid_from=today())
        tokens.append(
            device_token_issue(username=worker.username, password=TEST_PASSWORD, device_id=f"d{n}").secret
        )
    names = [
        "新阳好味道餐饮店",
        "厦门市海沧区新阳好味道餐饮店",
        "新阳好味道餐饮店（个体工商户）",
        "新阳 好味道餐饮店",
    ]
    shops = [
        {"name": names[i % 4], "location": geo(shifted(XA, east_m=(i % 5) * 2, north_m=(i % 4) * 2))}
        for i in range(THREADS)
    ]
    with gunicorn(workers=4, threads=8) as base:
        responses = hammer(base, "/api/v1/organisations/", shops, tokens)

    assert Counter(r.status_code for r in responses) == {201: 1, 200: THREADS - 1}, [
        r.text for r in responses
    ]
    assert len({r.json()["id"] for r in responses}) == 1
    assert Organisation.objects.filter(merged_into__isnull=True).count() == 1
    assert Organisation.objects.filter(merged_into__isnull=False).count() == THREADS - 1


def test_twenty_devices_pushing_runs_with_one_new_shop_make_one_organisation(territory: Any) -> None:
    """Each device's run holds the shared shop among shops of its own: the runs are planned apart, in
    parallel, and still serialise on the shop's cells and code."""
    from tests.sync.conftest import device_tokens

    tokens = device_tokens(territory["HC-XY-XA-01"], THREADS)
    code = credit_code()
    bodies = []
    for i in range(THREADS):
        own = [
            {"mutation_id": str(uuid7()), "type": "organisation", "op": "create", "id": str(uuid7()),
             "location": geo(shifted(XA, east_m=-250 + 60 * (i % 10), north_m=400 + 150 * k + 1200 * (i // 10))),
             "data": {"name": f"设备{i}的第{k}家店"}}
            for k in range(3)
        ]  # fmt: skip
        shared = {
            "mutation_id": str(uuid7()), "type": "organisation", "op": "create", "id": str(uuid7()),
            "location": geo(shifted(XA, east_m=(i % 5) * 2, north_m=(i % 4) * 2)),
            "data": {"name": "厦门市海沧区新阳好味道餐饮有限公司", **({"credit_code": code} if i % 3 == 0 else {})},
        }  # fmt: skip
        bodies.append({"device_id": f"d{i}", "mutations": [*own[: i % 3], shared, *own[i % 3 :]]})
    with gunicorn(workers=4, threads=8) as base:
        responses = hammer(base, "/api/v1/sync/push/", bodies, tokens)

    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    shared_results = [r.json()["results"][i % 3] for i, r in enumerate(responses)]
    assert Counter(r["status"] for r in shared_results) == {"applied": 1, "merged": THREADS - 1}, (
        shared_results
    )
    assert len({r["id"] for r in shared_results}) == 1
    assert Organisation.objects.get(pk=shared_results[0]["id"]).code_key == code
    assert Organisation.objects.filter(merged_into__isnull=True).count() == 1 + 3 * THREADS
