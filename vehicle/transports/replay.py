"""A recorded ``.tlog`` played back as a transport, at recorded pace or as fast as read."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from vehicle.tlog import TlogReader
from vehicle.transports.base import Chunks, Pace, Transport

__all__ = ["TlogReplay"]


class TlogReplay(Transport):
    """Plays a ``.tlog`` back at its recorded pace (scaled by ``speed``) or as fast as possible."""

    def __init__(self, path: Path, pace: Pace, speed: float):
        self.reader = TlogReader(path)
        self.records = iter(self.reader)
        self.pace = pace
        self.speed = speed
        self._next: tuple[float, bytes] | None = next(self.records, None)
        self._t0: tuple[float, float] | None = None
        self.exhausted = self._next is None

    def read(self, timeout: float) -> Chunks:
        if self._next is None:
            self.exhausted = True
            return []
        if self.pace == "fast":
            return self._take(lambda ts: True, 256)
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = (now, self._next[0])
        wall0, file0 = self._t0
        due = wall0 + (self._next[0] - file0) / self.speed
        if due > now:
            time.sleep(min(timeout, due - now))
            now = time.monotonic()
        return self._take(lambda ts: wall0 + (ts - file0) / self.speed <= now, 1024)

    def _take(self, ready: Callable[[float], bool], limit: int) -> Chunks:
        out: Chunks = []
        while self._next is not None and len(out) < limit and ready(self._next[0]):
            out.append(self._next)
            self._next = next(self.records, None)
        self.exhausted = self._next is None
        return out

    def write(self, data: bytes) -> None:
        self.tx_dropped += 1  # a recording cannot be answered; outgoing traffic goes nowhere

    def close(self) -> None:
        self._next = None
        self.exhausted = True
