"""The layering is a contract (pyproject.toml, ``[tool.importlinter]``) that holds, covers every app, and
fails on an upward import."""

import shutil
from pathlib import Path

import pytest

from .contract import PYPROJECT, ROOT, broken_contracts, contracts, lint_imports

APPS = ROOT / "apps"


def test_the_import_contract_holds() -> None:
    assert broken_contracts() == [], "run `.venv/bin/lint-imports` to see the offending imports"


def test_every_app_has_its_place_in_the_layers() -> None:
    (layers,) = [c for c in contracts() if c["type"] == "layers"]
    named = {
        module.strip("() ")
        for layer in layers["layers"]  # type: ignore[union-attr]
        for module in str(layer).replace(":", "|").split("|")
    }
    apps = {f"apps.{p.name}" for p in APPS.iterdir() if (p / "__init__.py").exists()}
    assert apps - named == set(), "add the new app to the layers contract in pyproject.toml"


def _copy_tree(to: Path) -> Path:
    """A copy of the sources the contract reads: the apps package and the configuration."""
    shutil.copytree(APPS, to / "apps", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "templates"))
    shutil.copy(PYPROJECT, to / "pyproject.toml")
    return to


UPWARD = [
    # (module written into the copy, its import, the contract line lint-imports must print)
    ("apps/core/upward_probe.py", "from apps.events import models\n", "apps.core.upward_probe -> apps.events.models"),
    ("apps/journal/upward_probe.py", "import apps.registry.services\n", "apps.journal.upward_probe -> apps.registry.services"),
    ("apps/registry/upward_probe.py", "from apps.sharing.models import Subscription\n", "apps.registry.upward_probe -> apps.sharing.models"),
    ("apps/departments/upward_probe.py", "from apps.accounts import models\n", "apps.departments.upward_probe -> apps.accounts.models"),
    ("apps/sharing/upward_probe.py", "from apps.sync import models\n", "apps.sharing.upward_probe -> apps.sync.models"),
    ("apps/events/services/upward_probe.py", "from apps.registry.api import serializers\n", "apps.events.services.upward_probe -> apps.registry.api.serializers"),
]  # fmt: skip


@pytest.mark.parametrize(("module", "source", "reported"), UPWARD, ids=[u[0] for u in UPWARD])
def test_an_upward_import_breaks_the_contract(
    tmp_path: Path, module: str, source: str, reported: str
) -> None:
    """Written into a copy of the tree, the import is reported by ``lint-imports`` as ``make test`` runs it;
    the same copy without it does not report it (so the copy, not the checkout, was read)."""
    tree = _copy_tree(tmp_path)
    before = lint_imports(tree)
    assert "Could not" not in before.output and reported not in before.output, before.output
    (tree / module).write_text(source, encoding="utf-8")
    after = lint_imports(tree)
    assert not after.kept
    assert reported in after.output.replace("\n", " ").replace("  ", " "), after.output
