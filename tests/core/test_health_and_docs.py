"""Liveness, readiness, the schema and the docs (served with local assets only)."""

import re

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_healthz_is_always_ok() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_database_and_broker() -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


def test_readyz_reports_a_dead_broker() -> None:
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")
    assert response.json()["checks"]["database"] == "ok"


def test_schema_is_served() -> None:
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/territory/locate/" in response.content


@pytest.mark.parametrize("url", ["/api/docs/", "/api/docs/redoc/"])
def test_docs_use_local_assets_only(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 200
    html = response.content.decode()
    external = [
        u for u in re.findall(r'(?:src|href)="([^"]+)"', html) if u.startswith(("http:", "https:", "//"))
    ]
    assert external == []
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert assets, "the page loads its scripts from /static/"
    for asset in assets:
        assert Client().get(asset).status_code == 200, asset
