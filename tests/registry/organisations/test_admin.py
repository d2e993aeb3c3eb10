"""The admin's organisation screens render, with personal numbers masked."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.registry.conftest import id_number

pytestmark = pytest.mark.django_db


def test_admin_lists_and_shows_organisations_masked(collect_org: Callable[..., Any], admin_user: Any) -> None:
    number = id_number(seq="999")
    org = collect_org(name="阿明五金店", legal_rep_id_number=number, phone="13812345678").record
    client = Client()
    client.force_login(admin_user)
    listed = client.get("/admin/registry/organisation/")
    assert listed.status_code == 200 and "阿明五金店" in listed.content.decode()
    detail = client.get(f"/admin/registry/organisation/{org.pk}/change/").content.decode()
    assert number not in detail and "138****5678" in detail
    for page in ("employment", "watchrule", "alert"):
        assert client.get(f"/admin/registry/{page}/").status_code == 200
