"""Pull envelopes of organisations, employments and alerts."""

from collections.abc import Callable
from typing import Any

import pytest

from apps.registry.organisations.pull import envelopes, snapshot
from apps.registry.organisations.services import employment_apply
from tests.registry.conftest import id_number

pytestmark = pytest.mark.django_db


def test_organisation_and_employment_envelopes(
    collect_org: Callable[..., Any], collect_person: Callable[..., Any], django_assert_max_num_queries: Any
) -> None:
    number = id_number(seq="888")
    org = collect_org(name="阿明五金店", legal_rep_id_number=number, phone="13812345678").record
    person = collect_person(name="黄明").record
    employment, _ = employment_apply(person=person, organisation=org, role="店员")
    grid_codes = {str(org.grid_id): "HC-XY-XA-01"}
    with django_assert_max_num_queries(1):
        (envelope,) = envelopes("organisation", snapshot("organisation", [org.grid_id]), grid_codes)
    assert envelope["id"] == str(org.pk) and envelope["type"] == "organisation" and not envelope["deleted"]
    assert envelope["data"]["legal_rep_id_number"] == number and envelope["data"]["grid"] == "HC-XY-XA-01"
    assert envelope["geometry"]["type"] == "Point"
    (job,) = envelopes("employment", snapshot("employment", [org.grid_id]), grid_codes)
    assert job["data"] == {
        "person_id": str(person.pk), "organisation_id": str(org.pk), "since": None, "until": None, "role": "店员",
    }  # fmt: skip
    assert job["id"] == str(employment.pk)
