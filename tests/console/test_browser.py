"""The console in a real browser (Playwright driving the system's Chromium, no browser download).

A dispatcher signs in, sees their territory only in the queues and on the map, dispatches from triage, acts
on an event whose page went stale (acted on from another screen meanwhile) and is told so (412), decides a review and undoes the merge; a grid worker
cannot open the console. Every request the pages make goes to gridapi itself. Screenshots of each screen
are kept under ``artifacts/console/`` (not committed).
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from apps.events.lifecycle import actor_for
from apps.events.models import Event, Status
from apps.events.services import ActionInput, event_act
from apps.registry.models import MergeEvent, ReviewItem, ReviewStatus
from apps.sync.models import ConflictItem
from tests.factories import TEST_PASSWORD
from tests.registry.conftest import geo, shifted

from .conftest import XA

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("GRIDAPI_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "console"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: the bootstrap installs Debian's chromium package")
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh browser page; every request it makes is recorded, and must go to gridapi."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.requested = []
    tab.on("request", lambda request: tab.requested.append(request.url))
    yield tab
    context.close()
    ours = urlsplit(live_server.url).netloc
    elsewhere = [
        url
        for url in tab.requested
        if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).netloc != ours
    ]
    assert tab.requested and not elsewhere, elsewhere


def sign_in(page: Any, base: str, user: Any) -> None:
    page.goto(f"{base}/console/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_load_state("load")


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_a_dispatcher_works_through_the_console(page: Any, live_server: Any, world: dict[str, Any],
                                                 api_client: Any, territory: Any) -> None:  # fmt: skip
    base = live_server.url
    sign_in(page, base, world["dispatcher"])
    shot(page, "triage")

    # Triage: the territory's dispute, not 嵩屿's; one click dispatches it.
    rows = page.locator("#triage tbody tr")
    assert rows.count() == 1
    row = page.locator(f'tr[data-event="{world["mine"].pk}"]')
    assert world["theirs"].title not in page.content()
    row.locator("select[name=department]").select_option("HC-SF-XY")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".messages .success")
    assert "新阳司法所" in page.inner_text(".messages")
    assert Event.objects.get(pk=world["mine"].pk).status == Status.DISPATCHED

    # The map: the territory's two open events, aggregated by the server; grid boundaries drawn.
    page.goto(f"{base}/console/map/")
    page.wait_for_selector("#map[data-loaded='1']")
    assert page.get_attribute("#count", "data-total") == "2"
    assert int(page.get_attribute("#map", "data-grid-count") or 0) >= 2  # the territory's grid outlines
    assert page.locator("#map canvas").count() >= 1  # drawn
    shot(page, "map")

    # The event page went stale: a colleague acted meanwhile; the dispatcher's click is told 412.
    event = world["routed"]
    page.goto(f"{base}/console/events/{event.pk}/")
    page.wait_for_selector("form[data-action=remind]")
    shot(page, "event")
    event_act(event=event, actor=actor_for(world["dispatcher"], event), expected_version=event.version,
              action=ActionInput("remind", note="另一位调度员"))  # fmt: skip
    page.fill("form[data-action=remind] input[name=note]", "请尽快处理")
    page.click("form[data-action=remind] button[type=submit]")
    page.wait_for_selector(".messages .error")
    assert "412" in page.inner_text(".messages")
    shot(page, "event-stale")
    # Reloaded with the new version, the same click now goes through.
    page.fill("form[data-action=remind] input[name=note]", "请尽快处理")
    page.click("form[data-action=remind] button[type=submit]")
    page.wait_for_selector(".messages .success")
    event.refresh_from_db()
    assert event.reminder_count == 2 and "请尽快处理" in page.inner_text(".timeline")

    # Reviews: two buildings side by side; merge, then undo.
    device = api_client(world["worker"])
    ids = [device.post("/api/v1/buildings/", {"address": address, "name": name, "location": geo(shifted(XA, east))},
                       format="json").json()["id"]
           for address, name, east in [("新垵村顶许1号", "顶许大楼", 50), ("新垵村顶许3号", "顶许大厦", 80)]]  # fmt: skip
    review = ReviewItem.objects.create(record_type="building", record_id=ids[1], candidate_id=ids[0],
                                       grid=territory["HC-XY-XA-01"], score=0.62, reasons=["名称相近"])  # fmt: skip
    ConflictItem.objects.create(
        record_type="building", record_id=ids[0], grid=territory["HC-XY-XA-01"], field="floors", device_value=7,
        server_value=6, base_version=1, server_version=2, mutation_id=uuid.uuid4(), user=world["worker"],
    )  # fmt: skip
    page.goto(f"{base}/console/reviews/")
    card = page.locator(f'[data-review="{review.pk}"]')
    assert "顶许大楼" in card.inner_text() and "顶许大厦" in card.inner_text()
    shot(page, "reviews")
    card.locator("button[value=merge]").click()
    page.wait_for_selector(".messages .success")
    review.refresh_from_db()
    assert review.status == ReviewStatus.MERGED
    merge = MergeEvent.objects.get(merged_id=ids[1])
    page.locator(f'[data-merge="{merge.pk}"] button').click()
    page.wait_for_selector(".messages .success")
    merge.refresh_from_db()
    assert merge.undone_at is not None

    for name in ("conflicts", "indicators", "patrols"):
        page.goto(f"{base}/console/{name}/")
        page.wait_for_load_state("networkidle")
        shot(page, name)
    assert page.locator("h1").inner_text().endswith("的巡查")


@pytest.mark.django_db(transaction=True)
def test_english_by_the_browsers_language(browser: Any, live_server: Any, world: dict[str, Any]) -> None:
    context = browser.new_context(locale="en-GB")
    tab = context.new_page()
    sign_in(tab, live_server.url, world["dispatcher"])
    assert "Triage" in tab.inner_text("nav")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_a_grid_worker_cannot_open_the_console(page: Any, live_server: Any, world: dict[str, Any]) -> None:
    sign_in(page, live_server.url, world["worker"])
    for path in ("/console/triage/", "/console/map/", "/console/reviews/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 403
    shot(page, "worker-403")
