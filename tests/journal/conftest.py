from tests.registry.conftest import collect_building, collect_person, worker

__all__ = ["collect_building", "collect_person", "worker"]
