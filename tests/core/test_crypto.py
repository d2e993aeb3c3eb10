"""Sealing personal numbers and blind indexes, across key rotation."""

import pytest
from django.test import override_settings

from apps.core.crypto import blind_index, blind_index_candidates, seal, unseal

OLD = "t1:dGVzdC1rZXktb25lLXRlc3Qta2V5LW9uZS10ZXN0LTE"
NEW = "t3:bmV3LWtleS1uZXcta2V5LW5ldy1rZXktbmV3LWtleTM"


def test_seal_is_randomised_and_authenticated() -> None:
    first, second = seal("350205199003071234"), seal("350205199003071234")
    assert first != second
    assert unseal(first) == unseal(second) == "350205199003071234"
    assert "350205" not in first
    tampered = first[:-4] + ("AAAA" if not first.endswith("AAAA") else "BBBB")
    with pytest.raises(Exception):  # noqa: B017, PT011 - any authentication failure
        unseal(tampered)


def test_rotation_keeps_old_values_readable() -> None:
    with override_settings(GRIDAPI_PII_KEYS=OLD):
        old = seal("13812345678")
    with override_settings(GRIDAPI_PII_KEYS=f"{NEW},{OLD}"):
        assert unseal(old) == "13812345678"
        assert seal("x").startswith("t3.")


def test_blind_index_is_keyed_and_lookups_span_rotation() -> None:
    value = "350205199003071234"
    before = blind_index(value)
    with override_settings(
        GRIDAPI_BLIND_INDEX_KEYS="i2:bmV3LWluZGV4LWtleS1uZXctaW5kZXgta2V5LTAwMDI,i1:dGVzdC1pbmRleC1rZXktdGVzdC1pbmRleC1rZXktMDE"
    ):
        assert blind_index(value) != before
        assert before in blind_index_candidates(value)
