"""Administration from the shell: users, grid assignments, API keys, territory import."""

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from apps.accounts.models import User
from apps.territory.models import GridAssignment, TerritoryNode
from tests.conftest import bearer_client

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_user_with_role_and_generated_password(territory: Any) -> None:
    out, _ = run("create_user", "disp1", "--role", "dispatcher", "--territory", "HC-XY", "--generate")
    password = out.split("password: ")[1].strip()
    user = User.objects.get(username="disp1")
    assert user.role == "dispatcher" and user.territory is not None and user.territory.code == "HC-XY"
    assert user.check_password(password)


def test_create_user_refuses_unknown_territory_and_duplicates(territory: Any) -> None:
    with pytest.raises(CommandError, match="NOPE"):
        run("create_user", "x", "--role", "dispatcher", "--territory", "NOPE", "--password", "p")
    run("create_user", "dup", "--role", "grid_worker", "--password", "p")
    with pytest.raises(CommandError):
        run("create_user", "dup", "--role", "grid_worker", "--password", "p")


def test_assign_grids(territory: Any) -> None:
    run("create_user", "w1", "--role", "grid_worker", "--password", "p")
    out, _ = run("assign_grids", "w1", "HC-XY-XA-01", "HC-XY-XA-02")
    assert "2 new" in out
    out, _ = run("assign_grids", "w1", "HC-XY-XA-01")
    assert "0 new" in out
    assert GridAssignment.objects.filter(worker__username="w1").count() == 2
    with pytest.raises(CommandError, match="NOPE"):
        run("assign_grids", "w1", "NOPE")


def test_create_api_key_prints_a_working_key_once(territory: Any, department: Any) -> None:
    dept = department(code="T-KEY")
    out, err = run("create_api_key", "T-KEY", "--name", "case system")
    secret = out.strip()
    assert "not shown again" in err
    assert bearer_client(secret).get("/api/v1/auth/me/").json()["department"] == dept.code


def test_import_territory_command(territory: Any, tmp_path: Path) -> None:
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"code": "CMD-CITY", "name": "城", "level": "city"},
        "geometry": {"type": "Polygon", "coordinates": [[[90, 30], [91, 30], [91, 31], [90, 30]]]}}]}))  # fmt: skip
    out, _ = run("import_territory", str(good), "--dry-run")
    assert "would create 1" in out and not TerritoryNode.objects.filter(code="CMD-CITY").exists()
    run("import_territory", str(good))
    assert TerritoryNode.objects.filter(code="CMD-CITY").exists()
    bad = tmp_path / "bad.geojson"
    bad.write_text(
        json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}}]})
    )
    with pytest.raises(CommandError, match="nothing was imported"):
        run("import_territory", str(bad))
    with pytest.raises(CommandError, match="cannot read"):
        run("import_territory", str(tmp_path / "missing.geojson"))
