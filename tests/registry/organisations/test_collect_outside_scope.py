"""An organisation collected by a worker of another grid (the same verified credit code: one organisation): merged,
answered with the canonical id only, nothing of it quoted; what the collector brings never overwrites, and the
legal representative's ID number is held back for the organisation's dispatchers."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.registry.models import ReviewItem
from apps.registry.organisations.models import Organisation
from apps.registry.services import review_decide
from tests.registry.conftest import HH, geo, id_number
from tests.sync.conftest import mutation, push

from .conftest import credit_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_b(worker_of: Callable[..., User]) -> User:
    return worker_of("HC-SY-HH-01")


def test_a_collection_from_another_grid_merges_and_quotes_nothing(
    collect_org: Any, api_client: Callable[[Any], APIClient], worker_b: User, dispatcher_of: Any
) -> None:
    shop = collect_org(name="阿明五金店", credit_code=credit_code(), industry="五金").record
    b = api_client(worker_b)
    body = {"name": "阿明五金", "credit_code": credit_code(), "industry": "建材", "location": geo(HH),
            "legal_rep_id_number": id_number(seq="777"), "staff": 4}  # fmt: skip
    response = b.post("/api/v1/organisations/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == str(shop.pk) and response.json()["match"] is None
    (result,) = push(b, mutation("organisation", point=HH, name="阿明五金", credit_code=credit_code()))
    assert result["status"] == "merged" and result["id"] == str(shop.pk) and result["match"] is None
    shop.refresh_from_db()
    assert (shop.name, shop.industry, shop.grid_id) == ("阿明五金店", "五金", shop.grid_id)
    assert shop.staff == 4  # it lacked it: filled in
    assert shop.legal_rep_id_number_index == ""  # held back for the organisation's dispatchers
    item = ReviewItem.objects.get(record_id=shop.pk, status="open")
    assert item.reasons[0].startswith("held back") and "legal_rep_id_number" in item.reasons
    review_decide(item=item, decision="merge", actor=dispatcher_of("HC-XY"))
    shop.refresh_from_db()
    assert shop.legal_rep_id_number_index
    assert Organisation.objects.filter(merged_into__isnull=True).count() == 1
