"""Encryption at rest and blind indexes for personal numbers (ID numbers, phones, passports).

Values are sealed with AES-256-GCM under the current key of ``GRIDAPI_PII_KEYS`` and carry the key id,
so old keys keep decrypting after a rotation. Exact lookup and matching use a keyed HMAC-SHA256 blind
index (``GRIDAPI_BLIND_INDEX_KEYS``): a plain hash would not do, since an 18-character ID number has
about a thousand candidates once area and birth date are known. Lookups compute the index under every
configured index key, so rows indexed before a rotation are still found.
"""

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _parse_keys(spec: str, setting: str) -> list[tuple[str, bytes]]:
    keys = []
    for item in (part.strip() for part in spec.split(",") if part.strip()):
        key_id, _, encoded = item.partition(":")
        try:
            key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{setting}: key {key_id!r} is not base64") from exc
        if len(key) != 32 or not key_id:
            raise ImproperlyConfigured(f"{setting}: each entry is '<id>:<base64 of 32 bytes>'")
        keys.append((key_id, key))
    if not keys:
        raise ImproperlyConfigured(f"{setting} is empty")
    return keys


@lru_cache(maxsize=4)
def _keys(spec: str, setting: str) -> list[tuple[str, bytes]]:
    return _parse_keys(spec, setting)


def encryption_keys() -> list[tuple[str, bytes]]:
    """(key id, key) pairs; the first encrypts, all decrypt."""
    return _keys(settings.GRIDAPI_PII_KEYS, "GRIDAPI_PII_KEYS")


def index_keys() -> list[tuple[str, bytes]]:
    """(key id, key) pairs for the blind index; the first indexes new values."""
    return _keys(settings.GRIDAPI_BLIND_INDEX_KEYS, "GRIDAPI_BLIND_INDEX_KEYS")


@lru_cache(maxsize=4)
def _ciphers(spec: str) -> dict[str, AESGCM]:
    """One AES-GCM object per configured key (making one costs more than a decryption)."""
    return {key_id: AESGCM(key) for key_id, key in _keys(spec, "GRIDAPI_PII_KEYS")}


def seal(plaintext: str) -> str:
    """Encrypt ``plaintext``; returns ``<key id>.<base64 nonce+ciphertext>``."""
    key_id = encryption_keys()[0][0]
    nonce = os.urandom(12)
    ciphertext = _ciphers(settings.GRIDAPI_PII_KEYS)[key_id].encrypt(
        nonce, plaintext.encode(), key_id.encode()
    )
    return f"{key_id}.{base64.urlsafe_b64encode(nonce + ciphertext).decode()}"


def unseal(sealed: str) -> str:
    """Decrypt a value made by ``seal`` with whichever configured key sealed it."""
    return unsealer()(sealed)


def unsealer() -> Callable[[str], str]:
    """``unseal`` bound to the keys configured now, for decrypting many values in a row (a page of people):
    reading the setting for every value cost more than the decryption."""
    ciphers = _ciphers(settings.GRIDAPI_PII_KEYS)

    def open_sealed(sealed: str) -> str:
        key_id, _, payload = sealed.partition(".")
        cipher = ciphers.get(key_id)
        if cipher is None:
            raise ImproperlyConfigured(f"no PII key {key_id!r} configured to decrypt this value")
        raw = base64.urlsafe_b64decode(payload)
        return cipher.decrypt(raw[:12], raw[12:], key_id.encode()).decode()

    return open_sealed


def seal_json(value: Any) -> str:
    return seal(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))


def unseal_json(sealed: str) -> Any:
    return json.loads(unseal(sealed))


def blind_index(value: str) -> str:
    """The blind index of ``value`` under the current index key (hex, 64 characters)."""
    _key_id, key = index_keys()[0]
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def blind_index_candidates(value: str) -> list[str]:
    """The index of ``value`` under every configured index key, for lookups across a rotation."""
    return [hmac.new(key, value.encode(), hashlib.sha256).hexdigest() for _key_id, key in index_keys()]


def current_key_id() -> str:
    return encryption_keys()[0][0]
