"""What every transport is: bytes in and out with arrival times, reopened with backoff.

Transports only move bytes; decoding, signing and recording belong to ``vehicle.link.Link``.
"""

from __future__ import annotations

import select
import time
from typing import Any, Literal

__all__ = ["Backoff", "Chunks", "Pace", "Reopening", "Transport", "wait_readable"]

Pace = Literal["recorded", "fast"]
Chunks = list[tuple[float, bytes]]


class Backoff:
    """Exponential reconnect delays: 0.25 s doubling to ``cap``; reset after a success."""

    def __init__(self, cap: float = 8.0):
        self.cap = cap
        self.delay = 0.25
        self.next_at = 0.0

    def due(self) -> bool:
        return time.monotonic() >= self.next_at

    def failed(self) -> None:
        self.next_at = time.monotonic() + self.delay
        self.delay = min(self.delay * 2, self.cap)

    def reset(self) -> None:
        self.delay = 0.25
        self.next_at = 0.0


class Transport:
    """Moves bytes; ``read`` returns (wall time, bytes) chunks or [] at timeout."""

    reconnects = 0
    tx_dropped = 0
    exhausted = False
    connected = True

    def read(self, timeout: float) -> Chunks:
        raise NotImplementedError

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def wait_readable(fd: Any, timeout: float) -> bool:
    return bool(select.select([fd], [], [], max(timeout, 0.0))[0])


class Reopening(Transport):
    """A stream transport that is reopened with backoff after EOF or an error."""

    def __init__(self, url: str):
        self.url = url
        self.backoff = Backoff()
        self.connected = False
        self._open()
        self.connected = True

    def _open(self) -> None:
        raise NotImplementedError

    def _fileno(self) -> Any:
        raise NotImplementedError

    def _recv(self) -> bytes | None:
        """Bytes read, b"" at end of stream, None when nothing was ready after all."""
        raise NotImplementedError

    def _send(self, data: bytes) -> None:
        raise NotImplementedError

    def _drop(self) -> None:
        self.close()
        self.connected = False
        self.backoff.failed()

    def read(self, timeout: float) -> Chunks:
        if not self.connected:
            if not self.backoff.due():
                time.sleep(min(timeout, max(0.0, self.backoff.next_at - time.monotonic())))
                return []
            try:
                self._open()
            except OSError:
                self.backoff.failed()
                return []
            self.connected = True
            self.reconnects += 1
            self.backoff.reset()
        try:
            if not wait_readable(self._fileno(), timeout):
                return []
            data = self._recv()
        except OSError:
            self._drop()
            return []
        if data is None:
            return []
        if not data:
            self._drop()
            return []
        return [(time.time(), data)]

    def write(self, data: bytes) -> None:
        if not self.connected:
            self.tx_dropped += 1
            return
        try:
            self._send(data)
        except OSError:
            self.tx_dropped += 1
            self._drop()
