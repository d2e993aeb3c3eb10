"""Modules stay small: one job each (style guide). Benchmarks and migrations are exempt."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 400


def test_no_module_over_the_limit() -> None:
    too_long = sorted(
        f"{path.relative_to(ROOT)}: {lines} lines"
        for folder in ("apps", "gridapi", "tests")
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    )
    assert too_long == [], f"split these by job (over {LIMIT} lines):\n" + "\n".join(too_long)
