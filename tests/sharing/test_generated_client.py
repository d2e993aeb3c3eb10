"""A department system built the way departments will build theirs: a Python client generated from the
committed OpenAPI schema (in this test run) lists its events, signs one, reports it handled and reads its feed
against a live gunicorn."""

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from apps.sharing.services import subscription_create
from tests.events.conftest import report, reporter, routing
from tests.live import BIN, ROOT, gunicorn

__all__ = ["reporter", "routing"]

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def generated_client(tmp_path: Path) -> Any:
    subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--path", str(ROOT / "openapi" / "schema.yaml"),
         "--meta", "none", "--output-path", str(tmp_path / "gridapi_client")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("gridapi_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "gridapi_client" or m.startswith("gridapi_client.")]:
            del sys.modules[name]


def test_a_generated_client_works_the_whole_department_flow(routing: Any, api_client: Any, reporter: Any,
                                                             api_key_of: Any, admin_user: Any, territory: Any,
                                                             collect_building: Any, generated_client: Any) -> None:  # fmt: skip
    committee = routing["HC-XY-XA-CW"]
    _key, secret = api_key_of(committee)
    subscription = subscription_create(department=committee, nodes=[territory["HC-XY-XA"]], actor=admin_user,
                                       name="房屋", record_types=["building"], fields=["building.address"],
                                       purpose="社区房屋台账")  # fmt: skip
    building = collect_building(address="新垵村88号").record
    event_id = report(api_client(reporter), "dispute_neighbour")["id"]

    events_list = importlib.import_module("gridapi_client.api.events.events_list")
    act = importlib.import_module("gridapi_client.api.events.events_actions_create")
    feed = importlib.import_module("gridapi_client.api.sharing.feeds_changes_retrieve")
    models = importlib.import_module("gridapi_client.models")
    with gunicorn() as base:
        client = generated_client.AuthenticatedClient(base_url=base, token=secret)
        listed = events_list.sync_detailed(client=client)
        assert listed.status_code == 200
        assert [f["id"] for f in json.loads(listed.content)["features"]] == [event_id]

        version = 1
        for action, note in (("sign", ""), ("start", ""), ("report_handled", "已调解，双方签字")):
            body = models.EventActionInputRequest(action=models.ActionEnum(action), note=note)
            done = act.sync_detailed(event_id, client=client, body=body, if_match=f'"{version}"')
            assert done.status_code == 200, done.content[:300]
            version = json.loads(done.content)["properties"]["version"]
        assert json.loads(done.content)["properties"]["status"] == "handled"
        refused = act.sync_detailed(event_id, client=client, body=models.EventActionInputRequest(
            action=models.ActionEnum("sign")), if_match=f'"{version}"')  # fmt: skip
        assert refused.status_code == 409 and refused.parsed.allowed == []

        page = feed.sync_detailed(subscription.pk, client=client)
        assert page.status_code == 200
        changes = page.parsed.changes
        assert [(str(c.id), c.data.additional_properties) for c in changes] == [
            (str(building.pk), {"address": "新垵村88号"})
        ]
