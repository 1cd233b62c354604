"""Which mission a live vehicle holds, read back from the vehicle itself and hashed.

``upload`` prints a manifest SHA-256 of the mission, fence and rally points it verified; the
bridge computes the same hash (``vehicle.transfer.manifest``) from what the vehicle answers when
asked, so a subscriber comparing ``manifest_sha256`` with the upload's line knows the vehicle
flies the verified mission, and ``null`` means "not known" (a replay, or a read that failed).
The vehicle is asked at its first MISSION_CURRENT, when MISSION_CURRENT's item count changes (a
new upload), and again every ``every_s`` while it is disarmed (an upload of the same length). Messages that
arrive during the read-back are handed on to the normaliser, so no telemetry is lost to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vehicle.errors import VehicleError
from vehicle.transfer import Target, download_mission

__all__ = ["ManifestReader", "ReadBack"]

_ARMED = 0x80


class _Tee:
    """A ``MessageLink`` that hands every received message to ``on_message`` as well."""

    def __init__(self, link: Any, on_message: Callable[[Any], None], keepalive: Callable[[], Any]):
        self._link = link
        self._on_message = on_message
        self._keepalive = keepalive

    @property
    def mav(self) -> Any:
        return self._link.mav

    def send(self, msg: Any) -> None:
        self._link.send(msg)

    def recv(self, timeout: float) -> Any | None:
        deadline = time.monotonic() + timeout
        while True:
            self._keepalive()
            left = deadline - time.monotonic()
            msg = self._link.recv(max(0.0, min(left, 0.2)))
            if msg is not None:
                self._on_message(msg)
                return msg
            if left <= 0.2:
                return None


@dataclass
class _Known:
    total: int | None = None
    read_at: float = float("-inf")
    armed: bool = False


@dataclass
class ReadBack:
    """Outcome of one read-back: the hash, or why there is none."""

    vehicle: str
    sha256: str | None
    error: str = ""


@dataclass
class ManifestReader:
    """Decides when to read a vehicle's mission back, and reads it through a tee link."""

    every_s: float = 60.0
    timeout_s: float = 1.0
    retries: int = 2
    clock: Callable[[], float] = time.monotonic
    reads: int = 0
    failures: int = 0
    _known: dict[str, _Known] = field(default_factory=dict)
    _busy: bool = False

    def due(self, vehicle: str, msg: Any) -> bool:
        """Whether ``msg`` (from ``vehicle``, an autopilot) calls for a read-back now.

        Only MISSION_CURRENT starts one: a vehicle that sends it speaks the mission protocol, so
        a vehicle that does not (or a link that cannot answer) never stalls its link's thread.
        A failed read is retried after ``every_s`` like any stale one.
        """
        if self._busy:
            return False
        known = self._known.setdefault(vehicle, _Known())
        kind = msg.get_type()
        if kind == "HEARTBEAT":
            known.armed = bool(msg.base_mode & _ARMED)
            return False
        if kind != "MISSION_CURRENT":
            return False
        total = int(getattr(msg, "total", 0) or 0) or None
        changed = total is not None and known.total is not None and total != known.total
        known.total = total if total is not None else known.total
        if known.read_at == float("-inf") or changed:
            return True
        return not known.armed and self.clock() - known.read_at >= self.every_s

    def read(
        self,
        vehicle: str,
        link: Any,
        target: Target,
        on_message: Callable[[Any], None],
        keepalive: Callable[[], Any] = lambda: None,
    ) -> ReadBack:
        """Download mission, fence and rally points; every other message goes to ``on_message``,
        and ``keepalive`` runs before every wait (the bridge's GCS heartbeat goes on meanwhile)."""
        self._busy = True
        self._known.setdefault(vehicle, _Known()).read_at = self.clock()
        self.reads += 1
        try:
            _, digest = download_mission(_Tee(link, on_message, keepalive), target=target, window=4,
                                         timeout_s=self.timeout_s, retries=self.retries)  # fmt: skip
            return ReadBack(vehicle, digest)
        except VehicleError as exc:
            self.failures += 1
            return ReadBack(vehicle, None, str(exc))
        finally:
            self._busy = False
