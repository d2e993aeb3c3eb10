import time
import uuid

from apps.core.ids import uuid7


def test_uuid7_has_version_and_variant() -> None:
    value = uuid7()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_uuid7_orders_by_time() -> None:
    first = uuid7()
    time.sleep(0.002)
    second = uuid7()
    assert first < second
    assert abs((first.int >> 80) - time.time_ns() // 1_000_000) < 5000
