"""The change engine's registry: record types plug in from their apps, and the readers stay apart."""

import ast
import pathlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.accounts.models import Role, User
from apps.core.visibility import registered_models, visible
from apps.journal.changes import ChangeSource, change_kinds, change_source_register, scoped_changes, sources
from apps.journal.changes import columns as c
from apps.journal.models import AccessLogEntry
from apps.registry.models import Building
from apps.sharing.models import CatalogueField, Subscription, WebhookDelivery, WebhookEndpoint
from apps.sharing.webhooks import endpoint_create
from apps.sync.models import ConflictItem

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_four_types_register_in_their_snapshot_order() -> None:
    assert change_kinds()[:4] == ["building", "person", "residence", "event"]


def test_two_sources_cannot_share_a_snapshot_position(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "_sources", dict(sources._sources))
    with pytest.raises(ImproperlyConfigured):
        change_source_register(ChangeSource(kind="landmark", model=Building, order=0, columns=list,
                                            envelope=lambda row, codes, unseal: {}))  # fmt: skip


def _landmark(row: tuple[Any, ...], codes: dict[str, str], unseal: Callable[[str], str]) -> dict[str, Any]:
    return c.envelope(
        "landmark", row, {"name": row[8], "grid": codes.get(row[c.GRID])}, c.point(row[6], row[7])
    )


@pytest.mark.django_db
def test_a_new_type_is_read_without_touching_the_engine(
    monkeypatch: pytest.MonkeyPatch, collect_building: Any, territory: Any
) -> None:
    """A type another app registers is snapshotted and filtered like the built-in ones."""
    monkeypatch.setattr(sources, "_sources", dict(sources._sources))
    change_source_register(ChangeSource(
        kind="landmark", model=Building, order=90, envelope=_landmark,
        columns=lambda: [c.text("id"), c.text("merged_into_id"), c.text("grid_id"), c.NULL, "version", c.updated(),
                         *c.coordinates(), "name"],
    ))  # fmt: skip
    building = collect_building(name="林氏宗祠").record
    grid = territory["HC-XY-XA-01"]
    page = scoped_changes(owner="test", scope={str(grid.pk): grid.code}, token=None, limit=10,
                          types=["building", "landmark"])  # fmt: skip
    kinds = [(change["type"], change["id"]) for change in page["changes"]]
    assert kinds == [("building", str(building.pk)), ("landmark", str(building.pk))]
    assert page["changes"][1]["data"] == {"name": "林氏宗祠", "grid": grid.code}


def test_the_push_and_the_feeds_models_are_behind_the_visibility_gate() -> None:
    gates = registered_models()
    for model in (ConflictItem, Subscription, WebhookEndpoint, WebhookDelivery, AccessLogEntry):
        assert model in gates and not gates[model].public
    assert gates[CatalogueField].public


@pytest.mark.django_db
def test_endpoints_and_deliveries_are_seen_by_administrators_only(
    make_user: Callable[..., User], department: Callable[..., Any], settings: Any
) -> None:
    settings.GRIDAPI_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    endpoint, _secret = endpoint_create(department=department(), url="http://127.0.0.1:9/hooks")
    admin, worker = make_user(Role.ADMIN), make_user(Role.GRID_WORKER)
    assert list(visible(WebhookEndpoint, admin)) == [endpoint]
    assert not visible(WebhookEndpoint, worker).exists()
    assert not visible(WebhookDelivery, worker).exists() and not visible(AccessLogEntry, worker).exists()


def _imports(path: pathlib.Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_sharing_and_the_journal_do_not_import_sync() -> None:
    for app in ("sharing", "journal"):
        for path in (ROOT / "apps" / app).rglob("*.py"):
            assert not any(name.startswith("apps.sync") for name in _imports(path)), path
