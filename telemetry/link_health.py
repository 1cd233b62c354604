"""The ``link`` record built from a link's counters and the spool's state.

Everything an operator needs to judge a link sits in one record: what arrived, what was garbage
(bytes, candidate frames with a bad CRC, unknown ids, implausible tlog timestamps), what was
refused, and what the spool had to drop per record kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from telemetry.records import LinkHealth

__all__ = ["link_record", "skipped_summary", "LINK_COUNTERS"]

LINK_COUNTERS = (
    "messages", "bytes_in", "bad_bytes", "bad_crc", "unknown", "unknown_bytes",
    "bad_timestamps", "seq_drops", "unsigned_refused", "reconnects",
)  # fmt: skip


def link_record(
    common: dict[str, Any],
    link: str,
    stats: dict[str, Any],
    spool: dict[str, Any],
    heartbeat_age_s: float | None,
) -> LinkHealth:
    """``common`` holds the fields every record has (vehicle, seq, times)."""
    return LinkHealth(
        **common,
        link=link,
        connected=bool(stats.get("connected", True)),
        msgs_per_s=float(stats.get("msgs_per_s", 0.0)),
        **{name: int(stats.get(name, 0)) for name in LINK_COUNTERS},
        heartbeat_age_s=heartbeat_age_s,
        spool_depth=int(spool.get("depth", 0)),
        spool_oldest_age_s=spool.get("oldest_age_s"),
        dropped={str(k): int(n) for k, n in spool.get("dropped", {}).items()},
    )


def skipped_summary(links: Iterable[dict[str, Any]], extra: Iterable[tuple[int, str]] = ()) -> str:
    """What the links' decoders skipped (and ``extra`` counts), as "3 garbage bytes, ...";
    empty when nothing was."""
    links = list(links)
    counts = [
        (sum(li.get(key, 0) for li in links), what)
        for key, what in (
            ("bad_bytes", "garbage bytes"),
            ("bad_crc", "bad CRCs"),
            ("unknown", "unknown message ids"),
            ("bad_timestamps", "implausible tlog timestamps"),
            ("unsigned_refused", "unsigned messages refused"),
        )
    ]
    return ", ".join(f"{n} {what}" for n, what in [*counts, *extra] if n)
