"""MAVLink 2 signing time: the timestamp both our signed link and SETUP_SIGNING start from.

MAVLink counts signing time in 10 µs units since 2015-01-01 00:00 UTC; a vehicle refuses a signed
message whose timestamp is older than the last it saw, so every place that starts signing must
count from the same epoch in the same unit.
"""

from __future__ import annotations

import time

__all__ = ["SIGNING_EPOCH_S", "signing_timestamp"]

SIGNING_EPOCH_S = 1420070400  # 2015-01-01T00:00:00Z in Unix seconds


def signing_timestamp(now_s: float | None = None) -> int:
    """MAVLink signing timestamp for ``now_s`` (Unix seconds; the current time by default)."""
    return int(((time.time() if now_s is None else now_s) - SIGNING_EPOCH_S) * 100_000)
