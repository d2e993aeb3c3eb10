"""Who may open the console: dispatchers and administrators; sign-in by session, throttled like the API."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import TEST_PASSWORD

PAGES = ["triage", "map", "map-cells", "map-grids", "reviews", "conflicts", "indicators", "patrols"]


def _url(name: str) -> str:
    return reverse(f"console:{name}") + ("?zoom=12" if name == "map-cells" else "")


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(db: Any, name: str) -> None:
    response = Client().get(_url(name))
    assert response.status_code == 302 and response["Location"].startswith("/console/login/")


@pytest.mark.parametrize("name", PAGES)
def test_a_grid_worker_gets_403_on_every_page(world: dict[str, Any], console: Any, name: str) -> None:
    assert console(world["worker"]).get(_url(name)).status_code == 403


def test_a_grid_worker_cannot_act_on_an_event_page_either(world: dict[str, Any], console: Any) -> None:
    client = console(world["worker"])
    event = world["mine"]
    assert client.get(reverse("console:event", args=[event.pk])).status_code == 403
    posted = client.post(reverse("console:dispatch", args=[event.pk]), {"version": event.version})
    assert posted.status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_a_dispatcher_opens_every_page(world: dict[str, Any], console: Any, name: str) -> None:
    assert console(world["dispatcher"]).get(_url(name)).status_code == 200


def test_sign_in_with_a_session_and_csrf(world: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/console/login/")
    token = page.cookies["csrftoken"].value
    refused = client.post(
        "/console/login/", {"username": world["dispatcher"].username, "password": TEST_PASSWORD}
    )
    assert refused.status_code == 403  # no CSRF token
    signed = client.post(
        "/console/login/",
        {"username": world["dispatcher"].username, "password": TEST_PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert signed.status_code == 302
    assert client.get("/console/triage/").status_code == 200


def test_failed_sign_ins_are_throttled_like_the_api(world: dict[str, Any], settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "3/min"},
    }
    client = Client()
    name = world["dispatcher"].username
    for _ in range(3):
        assert client.post("/console/login/", {"username": name, "password": "wrong"}).status_code == 200
    blocked = client.post("/console/login/", {"username": name, "password": TEST_PASSWORD})
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session  # even the right password waits
    # Another account from the same client is not locked out by these failures.
    other = world["dispatcher_sy"].username
    assert client.post("/console/login/", {"username": other, "password": TEST_PASSWORD}).status_code == 302


def test_chinese_by_default_english_by_accept_language(world: dict[str, Any], console: Any) -> None:
    chinese = console(world["dispatcher"]).get("/console/triage/").content.decode()
    english = console(world["dispatcher"], HTTP_ACCEPT_LANGUAGE="en").get("/console/triage/").content.decode()
    assert "待分拨" in chinese and "Triage" not in chinese
    assert "Triage" in english and "待分拨" not in english


def test_the_language_switch_keeps_the_page(world: dict[str, Any], console: Any) -> None:
    client = console(world["dispatcher"])
    switched = client.post("/console/language/", {"language": "en", "next": "/console/reviews/"})
    assert switched.status_code == 302 and switched["Location"] == "/console/reviews/"
    assert "Possible duplicates" in client.get("/console/reviews/").content.decode()
