"""Record identifiers.

Records get UUIDv7 ids: time-ordered, so B-tree inserts stay local, and the same shape a device uses
for the ids it makes offline (the sync protocol prefers UUIDv7).
"""

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    """Return a new RFC 9562 version-7 UUID (48-bit Unix milliseconds, then 74 random bits)."""
    unix_ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a (12 bits)
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b (62 bits)
    return uuid.UUID(int=value)
