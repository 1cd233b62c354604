"""Connection discipline in front of the web server: a cap, and a deadline for idle connections.

A connection costs a file descriptor whether or not it ever sends a request. Without a cap, a few
thousand idle sockets exhaust the process's descriptors and the accept loop can serve nobody;
without a deadline, a client that opens a connection and sends its headers one byte a minute
holds its slot forever. So every connection counts against ``cap`` (beyond it, a new one is
answered ``503`` and closed at once), and one that is not inside a request is closed after
``idle_s`` of silence, headers half-sent or not. A request in progress (an event stream) is never
cut by the guard: it was authenticated first and has its own write deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["ConnectionGuard"]

_BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class ConnectionGuard:
    """Protocol factory wrapping aiohttp's: counts connections and closes idle ones."""

    def __init__(self, factory: Callable[[], asyncio.Protocol], *, cap: int, idle_s: float):
        self._factory = factory
        self.cap = cap
        self.idle_s = idle_s
        self.open = 0
        self.refused = 0
        self.timed_out = 0
        self._tracked: dict[asyncio.BaseTransport, _Tracked] = {}

    def __call__(self) -> asyncio.Protocol:
        if self.open >= self.cap:
            self.refused += 1
            return _Busy()
        self.open += 1
        return _Tracked(self._factory(), self)

    def request_started(self, transport: asyncio.BaseTransport | None) -> None:
        tracked = self._tracked.get(transport) if transport is not None else None
        if tracked is not None:
            tracked.busy += 1

    def request_ended(self, transport: asyncio.BaseTransport | None) -> None:
        tracked = self._tracked.get(transport) if transport is not None else None
        if tracked is not None:
            tracked.busy -= 1
            tracked.last = time.monotonic()


class _Busy(asyncio.Protocol):
    """Over the cap: say so and hang up, holding the descriptor for no time at all."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(_BUSY)  # type: ignore[attr-defined]
        transport.close()


class _Tracked(asyncio.Protocol):
    """Forwards everything to aiohttp's protocol; checks for idleness now and then."""

    def __init__(self, inner: asyncio.Protocol, guard: ConnectionGuard):
        self._inner = inner
        self._guard = guard
        self._transport: asyncio.BaseTransport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.busy = 0
        self.last = time.monotonic()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._guard._tracked[transport] = self
        self._inner.connection_made(transport)
        self._schedule()

    def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._guard.idle_s, self._check)

    def _check(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if self.busy == 0 and time.monotonic() - self.last >= self._guard.idle_s:
            self._guard.timed_out += 1
            transport.abort()  # type: ignore[attr-defined]
            return
        self._schedule()

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._guard.open -= 1
        self._guard._tracked.pop(self._transport, None)
        self._inner.connection_lost(exc)
