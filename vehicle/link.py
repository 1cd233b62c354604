"""A MAVLink link: one byte transport + one decoder, satisfying ``vehicle.transfer.MessageLink``.

Transports (tcp, tcpin, udpin, udpout, serial, ``.tlog`` replay) only move bytes; the ``Link``
does the protocol: decoding with garbage counted, MAVLink 2 signing, recording and statistics.
That split keeps replay and live links identical above the transport (the httpx transport idea).
A dropped tcp or serial link is reopened with exponential backoff inside ``recv``; while it is
down, ``send`` drops the message and counts it rather than blocking the caller.

Over UDP each datagram is decoded on its own (bytes from two senders never join into a frame),
and the reply address moves to a sender only when its datagram held a message from a vehicle:
a heartbeat of an autopilot, or anything from a system that already sent one. With signing on,
only correctly signed messages are decoded at all, so garbage or forged traffic from elsewhere
never redirects what the vehicle receives (its GCS failsafe depends on our heartbeats).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from mission.text import N_
from vehicle.decode import Decoder, new_mav
from vehicle.errors import LinkError
from vehicle.heartbeat import is_vehicle
from vehicle.signing import signing_timestamp
from vehicle.tlog import RotatingTlogWriter
from vehicle.transports import Pace, Transport, transport_for
from vehicle.transports.replay import TlogReplay
from vehicle.transports.udp import Udp

__all__ = ["Link", "LinkError", "open_link", "read_signing_key"]

IDLE_FLUSH_S = 0.3


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
        transport: Transport,
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
            self.mav.signing.timestamp = signing_timestamp()
            self.mav.signing.allow_unsigned_callback = _refuse_unsigned
        self.decoder = Decoder(self.mav)
        self._pending: deque[Any] = deque()
        self._lock = threading.Lock()
        self._rate_mark = (time.monotonic(), 0)
        self._last_bytes_at = time.monotonic()
        self._vehicle_systems: set[int] = set()
        self._unsigned_peer_ok = False

    @property
    def is_replay(self) -> bool:
        return isinstance(self._transport, TlogReplay)

    @property
    def exhausted(self) -> bool:
        """True once a replayed file has been read to the end and every message handed out."""
        return self._transport.exhausted and not self._pending and not self.decoder.pending

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
            if isinstance(self._transport, Udp):
                if self._read_datagrams(max(remaining, 0.0)):
                    self._last_bytes_at = time.monotonic()
                if not self._pending and time.monotonic() >= deadline:
                    return None
                continue
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

    def _read_datagrams(self, timeout: float) -> bool:
        """Decode each datagram whole; learn the reply address only from a vehicle's datagram."""
        assert isinstance(self._transport, Udp)
        datagrams = self._transport.read_datagrams(timeout)
        for ts, data, sender in datagrams:
            msgs = self.decoder.feed(data, final=True)
            if any(self._from_vehicle(m) for m in msgs) or self._unsigned_vehicle(data):
                self._transport.learn_peer(sender)
            self._deliver(msgs, ts)
        return bool(datagrams)

    def _from_vehicle(self, msg: Any) -> bool:
        sysid = msg.get_srcSystem()
        if is_vehicle(msg):
            self._vehicle_systems.add(sysid)
            return True
        return sysid in self._vehicle_systems

    def _unsigned_vehicle(self, data: bytes) -> bool:
        """While signing is being set up, whether ``data`` holds an unsigned vehicle heartbeat."""
        if not self._unsigned_peer_ok:
            return False
        try:
            return any(is_vehicle(m) for m in new_mav().parse_buffer(data) or [])
        except Exception:  # pymavlink raises assorted errors on garbage; it is simply not one
            return False

    @contextlib.contextmanager
    def learning_unsigned_peer(self) -> Any:
        """While SETUP_SIGNING is being given: the vehicle does not sign yet, so over UDP its
        unsigned heartbeat may set the reply address (it is still refused, never delivered).
        Only the operator's explicit signing set-up opens this; garbage never does."""
        self._unsigned_peer_ok = True
        try:
            yield
        finally:
            self._unsigned_peer_ok = False

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
            bad_timestamps=getattr(getattr(self._transport, "reader", None), "bad_timestamps", 0),
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
        raise LinkError(
            N_(
                "cannot read signing key {path}: {strerror}; check the path",
                path=path,
                strerror=exc.strerror,
            )
        ) from exc
    if len(raw) == 32:
        return raw
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        raise LinkError(
            N_("signing key file {path} is empty; write a passphrase or 64 hex digits", path=path)
        )
    if len(text) == 64:
        with contextlib.suppress(ValueError):
            return bytes.fromhex(text)
    return hashlib.sha256(text.encode()).digest()


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
        raise LinkError(N_("MAVLink signing key must be 32 bytes; use read_signing_key(FILE)"))
    if not 0 < speed <= 1_000_000:  # NaN fails too (it had read nothing and blamed the file)
        raise LinkError(N_("replay speed must be positive, got {speed}", speed=speed))
    transport = transport_for(url, pace, speed)
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
