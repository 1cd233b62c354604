"""A MAVLink link: one byte transport + one decoder, satisfying ``mission.transfer.MessageLink``.

Transports (tcp, tcpin, udpin, udpout, serial, ``.tlog`` replay) only move bytes; the ``Link``
does the protocol: decoding with garbage counted, MAVLink 2 signing, recording and statistics.
That split keeps replay and live links identical above the transport (the httpx transport idea).
A dropped tcp or serial link is reopened with exponential backoff inside ``recv``; while it is
down, ``send`` drops the message and counts it rather than blocking the caller.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from telemetry.decode import Decoder, new_mav
from telemetry.errors import TelemetryError
from telemetry.tlog import RotatingTlogWriter, TlogReader

__all__ = ["Link", "LinkError", "open_link", "read_signing_key"]

Pace = Literal["recorded", "fast"]
IDLE_FLUSH_S = 0.3
Chunks = list[tuple[float, bytes]]


class LinkError(TelemetryError):
    """A link cannot be opened, or its address or signing key is unusable."""


class _Backoff:
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


class _Transport:
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


def _wait_readable(fd: Any, timeout: float) -> bool:
    return bool(select.select([fd], [], [], max(timeout, 0.0))[0])


class _Reopening(_Transport):
    """A stream transport that is reopened with backoff after EOF or an error."""

    def __init__(self, url: str):
        self.url = url
        self.backoff = _Backoff()
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
            if not _wait_readable(self._fileno(), timeout):
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


class _TcpClient(_Reopening):
    def __init__(self, url: str, host: str, port: int):
        self.host, self.port = host, port
        self.sock: socket.socket | None = None
        super().__init__(url)

    def _open(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=2.0)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(2.0)
        self.sock = sock

    def _fileno(self) -> Any:
        return self.sock

    def _recv(self) -> bytes | None:
        assert self.sock is not None
        return self.sock.recv(65536)

    def _send(self, data: bytes) -> None:
        assert self.sock is not None
        self.sock.sendall(data)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class _Serial(_Reopening):
    """A serial port in raw mode at ``baud`` via termios (no pyserial needed on POSIX)."""

    def __init__(self, url: str, path: str, baud: int):
        self.path, self.baud = path, baud
        self.fd: int | None = None
        super().__init__(url)

    def _open(self) -> None:
        import termios
        import tty

        speed = getattr(termios, f"B{self.baud}", None)
        if speed is None:
            raise LinkError(f"unsupported baud rate {self.baud} in {self.url}; use e.g. 57600")
        fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            tty.setraw(fd)
            attrs = termios.tcgetattr(fd)
            attrs[4] = attrs[5] = speed
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
        except termios.error:
            pass  # a pty or a USB bridge may ignore line settings; bytes still flow
        self.fd = fd

    def _fileno(self) -> Any:
        return self.fd

    def _recv(self) -> bytes | None:
        assert self.fd is not None
        try:
            return os.read(self.fd, 65536)
        except BlockingIOError:
            return None

    def _send(self, data: bytes) -> None:
        assert self.fd is not None
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.fd, view) :]
            except BlockingIOError:
                select.select([], [self.fd], [], 1.0)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class _Udp(_Transport):
    """``udpin`` binds and answers the last sender; ``udpout`` sends to a fixed address."""

    def __init__(self, host: str, port: int, *, listen: bool):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.peer: tuple[str, int] | None = None
        if listen:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, port))
        else:
            self.peer = (host, port)

    def read(self, timeout: float) -> Chunks:
        if not _wait_readable(self.sock, timeout):
            return []
        chunks: Chunks = []
        while True:
            try:
                data, addr = self.sock.recvfrom(65536, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                return chunks
            except OSError:  # ICMP port unreachable on udpout before the peer exists
                return chunks
            if self.peer is None or addr != self.peer:
                self.peer = addr
            chunks.append((time.time(), data))

    def write(self, data: bytes) -> None:
        if self.peer is None:
            self.tx_dropped += 1
            return
        try:
            self.sock.sendto(data, self.peer)
        except OSError:
            self.tx_dropped += 1

    def close(self) -> None:
        self.sock.close()


class _TcpListen(_Transport):
    """``tcpin``: waits for one peer (e.g. a vehicle or a router) and serves it until it leaves."""

    def __init__(self, host: str, port: int):
        self.server = socket.create_server((host, port), reuse_port=False)
        self.client: socket.socket | None = None
        self.connected = False

    def read(self, timeout: float) -> Chunks:
        if self.client is None:
            if not _wait_readable(self.server, timeout):
                return []
            self.client, _ = self.server.accept()
            self.connected = True
            return []
        if not _wait_readable(self.client, timeout):
            return []
        try:
            data = self.client.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.client.close()
            self.client = None
            self.connected = False
            self.reconnects += 1
            return []
        return [(time.time(), data)]

    def write(self, data: bytes) -> None:
        if self.client is None:
            self.tx_dropped += 1
            return
        try:
            self.client.sendall(data)
        except OSError:
            self.tx_dropped += 1

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        self.server.close()


class _TlogReplay(_Transport):
    """Plays a ``.tlog`` back at its recorded pace (scaled by ``speed``) or as fast as possible."""

    def __init__(self, path: Path, pace: Pace, speed: float):
        self.records = iter(TlogReader(path))
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


class _Writer:
    """The ``file`` pymavlink's encoder writes to: the transport, plus the recorder."""

    def __init__(self, link: Link):
        self.link = link

    def write(self, data: bytes) -> None:
        self.link._transport.write(data)
        if self.link.recorder is not None:
            self.link.recorder.write(data)


class Link:
    """A live or replayed MAVLink connection: ``send``, ``recv``, ``mav``, ``stats()``, ``close()``.

    Each received message carries ``_timestamp`` (epoch seconds: arrival time, or the recorded time
    on replay) and ``_link`` (this link's name).
    """

    def __init__(
        self,
        url: str,
        transport: _Transport,
        *,
        name: str,
        source_system: int,
        source_component: int,
        signing_key: bytes | None,
        recorder: RotatingTlogWriter | None,
    ):
        self.url = url
        self.name = name
        self._transport = transport
        self.recorder = recorder
        self.mav = new_mav(source_system, source_component)
        self.mav.file = _Writer(self)
        if signing_key is not None:
            self.mav.signing.secret_key = signing_key
            self.mav.signing.sign_outgoing = True
            self.mav.signing.link_id = 1
            self.mav.signing.timestamp = int((time.time() - 1420070400) * 100000)
            self.mav.signing.allow_unsigned_callback = _refuse_unsigned
        self.decoder = Decoder(self.mav)
        self._pending: deque[Any] = deque()
        self._lock = threading.Lock()
        self._rate_mark = (time.monotonic(), 0)
        self._last_bytes_at = time.monotonic()

    @property
    def is_replay(self) -> bool:
        return isinstance(self._transport, _TlogReplay)

    @property
    def exhausted(self) -> bool:
        """True once a replayed file has been read to the end and every message handed out."""
        return self._transport.exhausted and not self._pending

    @property
    def connected(self) -> bool:
        return self._transport.connected

    @property
    def reconnects(self) -> int:
        return self._transport.reconnects

    def send(self, msg: Any) -> None:
        with self._lock:
            self.mav.send(msg)

    def recv(self, timeout: float) -> Any | None:
        """The next good message, or None when ``timeout`` passes (or a replay has ended)."""
        deadline = time.monotonic() + timeout
        while not self._pending:
            if self._transport.exhausted:
                if self.decoder.pending:
                    self._deliver(self.decoder.feed(b"", final=True), time.time())
                return self._pending.popleft() if self._pending else None
            remaining = deadline - time.monotonic()
            chunks = self._transport.read(max(remaining, 0.0))
            final = self._transport.exhausted
            for ts, data in chunks:
                self._deliver(self.decoder.feed(data), ts)
            now = time.monotonic()
            if chunks:
                self._last_bytes_at = now
            elif self.decoder.pending and (
                final or not self._transport.connected or now - self._last_bytes_at > IDLE_FLUSH_S
            ):
                # A false magic in garbage can claim up to 280 bytes; once the stream is idle,
                # ended or dropped, nothing will complete it, so rescan what is held.
                self._deliver(self.decoder.feed(b"", final=True), time.time())
            if not self._pending and time.monotonic() >= deadline:
                return None
        return self._pending.popleft()

    def _deliver(self, msgs: list[Any], ts: float) -> None:
        recorder = self.recorder
        for m in msgs:
            m._timestamp = ts
            m._link = self.name
            if recorder is not None:
                recorder.write(m.get_msgbuf(), ts)
        self._pending.extend(msgs)

    def stats(self) -> dict[str, Any]:
        """Counters since open plus the message rate since the previous call."""
        now = time.monotonic()
        t0, n0 = self._rate_mark
        counts = self.decoder.stats.as_dict()
        rate = (counts["messages"] - n0) / (now - t0) if now > t0 else 0.0
        self._rate_mark = (now, counts["messages"])
        counts.update(
            link=self.name,
            msgs_per_s=round(rate, 2),
            reconnects=self._transport.reconnects,
            tx_dropped=self._transport.tx_dropped,
            connected=self._transport.connected,
        )
        return counts

    def close(self) -> None:
        self._transport.close()
        if self.recorder is not None:
            self.recorder.close()

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _refuse_unsigned(mav: Any, msg_id: int) -> bool:
    return False


def read_signing_key(path: Path) -> bytes:
    """A 32-byte key from a file: raw 32 bytes, 64 hex digits, or a passphrase (SHA-256 of it).

    The passphrase rule is MAVProxy's ``signing setup``, so both ends can share one secret.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise LinkError(f"cannot read signing key {path}: {exc.strerror}; check the path") from exc
    if len(raw) == 32:
        return raw
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        raise LinkError(f"signing key file {path} is empty; write a passphrase or 64 hex digits")
    if len(text) == 64:
        with contextlib.suppress(ValueError):
            return bytes.fromhex(text)
    return hashlib.sha256(text.encode()).digest()


def _host_port(url: str, rest: str) -> tuple[str, int]:
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit():
        raise LinkError(
            f"bad MAVLink address {url!r}; use e.g. tcp:127.0.0.1:5760 or udpin:0.0.0.0:14550"
        )
    return host or "0.0.0.0", int(port)


def _transport_for(url: str, pace: Pace, speed: float) -> _Transport:
    scheme, _, rest = url.partition(":")
    scheme = scheme.lower()
    try:
        if url.endswith(".tlog"):
            path = Path(url)
            if not path.is_file():
                raise LinkError(f"no such tlog file {url}; check the path")
            return _TlogReplay(path, pace, speed)
        if scheme == "tcp":
            return _TcpClient(url, *_host_port(url, rest))
        if scheme == "tcpin":
            return _TcpListen(*_host_port(url, rest))
        if scheme in ("udp", "udpin"):
            return _Udp(*_host_port(url, rest), listen=True)
        if scheme == "udpout":
            return _Udp(*_host_port(url, rest), listen=False)
        if scheme == "serial" or url.startswith("/dev/") or scheme.upper().startswith("COM"):
            path, _, baud = (rest if scheme == "serial" else url).replace(":", ",").rpartition(",")
            if not baud.isdigit():
                path, baud = path or baud, "57600"
            return _Serial(url, path, int(baud))
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno == errno.ECONNREFUSED or isinstance(exc, TimeoutError):
            hint = "is the vehicle/SITL running?"
        else:
            hint = "check the address and that the port is free"
        raise LinkError(f"cannot connect to {url}: {reason.lower()}; {hint}") from exc
    raise LinkError(
        f"unknown MAVLink address {url!r}; use tcp:HOST:PORT, tcpin:, udpin:, udpout:, "
        "/dev/ttyUSB0,57600 or a .tlog file"
    )


def open_link(
    url: str,
    *,
    source_system: int = 255,
    source_component: int = 190,
    signing_key: bytes | None = None,
    pace: Pace = "recorded",
    speed: float = 1.0,
    name: str | None = None,
    record_dir: Path | None = None,
    record_max_bytes: int = 64 * 1024 * 1024,
) -> Link:
    """Open any pymavlink-style connection string or a ``.tlog`` replay as a ``Link``.

    ``record_dir`` records the link's traffic (both directions) into rotating ``.tlog`` files.
    With ``signing_key`` outgoing messages are signed and unsigned incoming ones are refused.
    """
    if signing_key is not None and len(signing_key) != 32:
        raise LinkError("MAVLink signing key must be 32 bytes; use read_signing_key(FILE)")
    if speed <= 0:
        raise LinkError(f"replay speed must be positive, got {speed}")
    transport = _transport_for(url, pace, speed)
    link_name = name or _default_name(url)
    recorder = (
        RotatingTlogWriter(record_dir, link_name, max_bytes=record_max_bytes)
        if record_dir is not None
        else None
    )
    return Link(
        url,
        transport,
        name=link_name,
        source_system=source_system,
        source_component=source_component,
        signing_key=signing_key,
        recorder=recorder,
    )


def _default_name(url: str) -> str:
    if url.endswith(".tlog"):
        return Path(url).stem
    return "".join(c if c.isalnum() else "-" for c in url).strip("-")
