"""Event and aggregate identifiers.

UUIDv7 (RFC 9562): unique without coordination and sortable by creation time, so an event log
read in id order is read in time order. Python 3.11 has no `uuid.uuid7`, hence this helper.
"""

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    """A random UUIDv7 whose first 48 bits are the Unix time in milliseconds."""
    unix_ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b, 62 bits
    return uuid.UUID(int=value)


def new_id() -> str:
    """A new identifier as the canonical string form of a UUIDv7."""
    return str(uuid7())
