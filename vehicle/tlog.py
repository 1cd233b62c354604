"""The ``.tlog`` file format: each record is an 8-byte big-endian µs epoch timestamp + one packet.

``TlogReader`` splits a file into (timestamp, packet) records by the MAVLink header's length, and
resynchronises on damaged records instead of giving up. ``tlog_record`` is the one place a record
is packed: ``TlogWriter`` writes one file (a rendered flight), ``RotatingTlogWriter`` records a
link's traffic into size-bounded files, so a long patrol day never fills one unbounded file.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["TlogReader", "TlogWriter", "RotatingTlogWriter", "frame_length", "tlog_record"]

_TS = struct.Struct(">Q")
_PLAUSIBLE_S = 86400.0 * 365
_EPOCH_MIN = 946684800.0  # 2000-01-01
_EPOCH_MAX = 4102444800.0  # 2100-01-01


def frame_length(buf: bytes | bytearray, i: int) -> int:
    """Length of the MAVLink frame starting at ``buf[i]``, or 0 if ``buf[i]`` is not a magic."""
    magic = buf[i]
    if magic == 0xFD:
        return buf[i + 1] + 12 + (13 if buf[i + 2] & 0x01 else 0)
    if magic == 0xFE:
        return buf[i + 1] + 8
    return 0


def tlog_record(packet: bytes | bytearray, ts: float) -> bytes:
    """One ``.tlog`` record: ``ts`` (epoch seconds) as big-endian µs, then the packet."""
    return _TS.pack(int(round(ts * 1e6))) + bytes(packet)


class TlogWriter:
    """Writes timestamped packets to one ``.tlog`` file; use it as a context manager."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fh: BinaryIO = self.path.open("wb")

    def write(self, packet: bytes | bytearray, ts: float) -> None:
        self._fh.write(tlog_record(packet, ts))

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> TlogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TlogReader:
    """Yields ``(epoch_seconds, bytes)`` records; damaged stretches come out as raw garbage bytes.

    Garbage is yielded (not dropped) so the link's decoder counts it like any other bad input.
    A timestamp outside 2000..2100, or a year away from its neighbours, is not believed: a record
    framed correctly around such a stamp is counted in ``bad_timestamps`` and its packet carries
    the last believable time instead (bytes before the first believable stamp wait for it, or get
    the file's modification time), so one corrupt stamp neither poisons the rest of the replay
    nor puts an absurd time on a record.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.data = self.path.read_bytes()
        self.bad_timestamps = 0

    def __iter__(self) -> Iterator[tuple[float, bytes]]:
        held: list[bytes] = []
        for ts, chunk in self._records():
            if ts is None:
                held.append(chunk)
                continue
            for early in held:
                yield ts, early
            held = []
            yield ts, chunk
        if held:
            mtime = self.path.stat().st_mtime
            for early in held:
                yield mtime, early

    def _records(self) -> Iterator[tuple[float | None, bytes]]:
        data = self.data
        n = len(data)
        i = 0
        last_ts: float | None = None
        while i < n:
            length = self._record_at(i, last_ts)
            if length:
                last_ts = _TS.unpack_from(data, i)[0] / 1e6
                yield last_ts, data[i + 8 : i + 8 + length]
                i += 8 + length
                continue
            length = self._badly_stamped_at(i, last_ts)
            if length:
                self.bad_timestamps += 1
                yield last_ts, data[i + 8 : i + 8 + length]
                i += 8 + length
                continue
            j = i + 1
            while j < n and not self._record_at(j, last_ts):
                j += 1
            yield last_ts, data[i:j]
            i = j

    def _framed_at(self, i: int) -> int:
        data = self.data
        if i + 11 > len(data):
            return 0
        length = frame_length(data, i + 8)
        if not length or i + 8 + length > len(data):
            return 0
        return length

    def _record_at(self, i: int, last_ts: float | None) -> int:
        length = self._framed_at(i)
        if length and _plausible(_TS.unpack_from(self.data, i)[0] / 1e6, last_ts):
            return length
        return 0

    def _badly_stamped_at(self, i: int, last_ts: float | None) -> int:
        """A framed record whose stamp alone is wrong: the next record (or the end) follows it."""
        length = self._framed_at(i)
        if not length:
            return 0
        after = i + 8 + length
        return length if after == len(self.data) or self._record_at(after, last_ts) else 0


def _plausible(ts: float, last_ts: float | None) -> bool:
    if not _EPOCH_MIN <= ts < _EPOCH_MAX:
        return False
    return last_ts is None or abs(ts - last_ts) <= _PLAUSIBLE_S


class RotatingTlogWriter:
    """Appends timestamped packets to ``<dir>/<prefix>-<UTC time>.tlog``, rolling at ``max_bytes``."""

    def __init__(
        self,
        directory: Path,
        prefix: str,
        *,
        max_bytes: int = 64 * 1024 * 1024,
        clock: Callable[[], float] = time.time,
    ):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.clock = clock
        self.files: list[Path] = []
        self._fh: BinaryIO | None = None
        self._size = 0

    def write(self, packet: bytes | bytearray, ts: float | None = None) -> None:
        record = tlog_record(packet, self.clock() if ts is None else ts)
        if self._fh is None or self._size + len(record) > self.max_bytes:
            self._roll()
        assert self._fh is not None
        self._fh.write(record)
        self._size += len(record)

    def _roll(self) -> None:
        if self._fh is not None:
            self._fh.close()
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(self.clock()))
        path = self.directory / f"{self.prefix}-{stamp}-{len(self.files):04d}.tlog"
        self._fh = path.open("ab")
        self._size = 0
        self.files.append(path)

    def flush(self) -> None:
        if self._fh is not None:
            self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
