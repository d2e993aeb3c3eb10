"""The push's per-type dispatch table: a record type another app adds plugs in without touching the push."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.sync.services import MutationHandler, PushContext, mutation_handler_register, mutation_result
from apps.sync.services import dispatch as dispatch_table
from tests.sync.conftest import mutation, push

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Registers ``note``: applied one by one when it has ``alone``, else in runs (recorded here)."""
    monkeypatch.setattr(dispatch_table, "_handlers", dict(dispatch_table._handlers))
    seen: list[list[str]] = []

    def apply(context: PushContext, sent: dict[str, Any]) -> dict[str, Any]:
        seen.append([sent["data"]["text"]])
        return mutation_result(sent["mutation_id"], "applied", id=sent["id"], version=1)

    def apply_run(context: PushContext, sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen.append([m["data"]["text"] for m in sent])
        return [mutation_result(m["mutation_id"], "applied", id=m["id"], version=1) for m in sent]

    mutation_handler_register(MutationHandler(
        kind="note", apply=apply, together=lambda sent: not sent["data"].get("alone"), apply_run=apply_run,
    ))  # fmt: skip
    return seen


def test_a_registered_type_is_applied_in_runs_and_in_place(device: APIClient, runs: list[list[str]]) -> None:
    notes = [mutation("note", point=None, text=str(n)) for n in range(3)]
    building = mutation("building", address="新垵村529号")
    alone = mutation("note", point=None, text="alone", alone=True)
    last = mutation("note", point=None, text="3")
    results = push(device, *notes, building, alone, last)
    assert [r["status"] for r in results] == ["applied"] * 6
    assert runs == [["0", "1", "2"], ["alone"], ["3"]]
    assert push(device, *notes, building, alone, last) == results  # replayed, not applied again
    assert len(runs) == 3


def test_an_unregistered_type_is_rejected(device: APIClient) -> None:
    (result,) = push(device, mutation("spaceship", point=None))
    assert result["status"] == "rejected" and "type" in result["errors"]
