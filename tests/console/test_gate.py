"""The console reads through the same gate as the API: the architecture check, run over its pages' code."""

from pathlib import Path

from tests.architecture.gate_check import violations_in_source

CONSOLE = Path(__file__).resolve().parents[2] / "apps" / "console"


def test_the_consoles_views_and_map_reads_start_from_the_gate() -> None:
    modules = [*sorted((CONSOLE / "views").glob("*.py")), CONSOLE / "mapdata.py", CONSOLE / "services.py"]
    found = [
        f"{path.name}:{line}: {what}"
        for path in modules
        for line, what in violations_in_source(path.read_text(encoding="utf-8"))
    ]
    assert len(modules) >= 6 and found == []


def test_the_check_would_see_a_view_around_the_gate() -> None:
    assert violations_in_source("from apps.events.models import Event\nEvent.objects.filter(status='x')\n")
