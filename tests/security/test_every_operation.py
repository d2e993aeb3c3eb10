"""Every operation of the committed schema, called by B's worker, dispatcher and department system with
A's ids and references: hidden (403/404) or refused, nothing written, nothing of A's in the answer."""

from pathlib import Path

import pytest
import yaml

from .conftest import World
from .operations import ATTACKS
from .outsider import call, leaked, prepare, snapshot
from .records import client_of

pytestmark = pytest.mark.django_db

SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi" / "schema.yaml").read_text("utf-8"))
METHODS = {"get", "put", "post", "patch", "delete"}
OPERATIONS = sorted(
    (method, path) for path, item in SCHEMA["paths"].items() for method in item if method in METHODS
)


def test_every_operation_has_an_attack() -> None:
    missing = [f"{m.upper()} {p}" for m, p in OPERATIONS if (m, p) not in ATTACKS]
    assert missing == [], "add these operations to tests/security/operations.py"
    assert set(ATTACKS) <= set(OPERATIONS), "operations no longer in the schema"


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS])
def test_outsiders_get_nothing_of_a(method: str, path: str, world: World) -> None:
    attacks = ATTACKS.get((method, path), [])
    assert attacks, f"no attack on {method.upper()} {path}: add one to tests/security/operations.py"
    for attack in attacks:
        prepare(attack, world)
    failures: list[str] = []
    for number, attack in enumerate(attacks):
        if attack.owner:
            response, _sent = call(world.clients[attack.owner], method, path, attack, world)
            assert response.status_code == 200, (attack.owner, number, response.content[:300])
        for caller in attack.callers:
            client = client_of(world, caller)
            before = snapshot(world)
            response, sent = call(client, method, path, attack, world)
            where = f"{caller} #{number}: {response.status_code}"
            if response.status_code not in attack.allowed:
                failures.append(f"{where} not in {sorted(attack.allowed)}: {response.content[:200]!r}")
            if leaked_values := leaked(world, response, sent):
                failures.append(f"{where} shows A's {leaked_values}")
            after = snapshot(world)
            if after != before:
                changed = [k for k in before["counts"] if before["counts"][k] != after["counts"][k]]
                changed += [k for k in before["rows"] if before["rows"][k] != after["rows"][k]]
                failures.append(f"{where} wrote {changed}")
    assert failures == [], "\n".join(failures)
