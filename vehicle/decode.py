"""One MAVLink 2 decoder per link, tolerant of garbage, with the counts an operator needs.

pymavlink's own ``parse_buffer`` consumes a whole claimed frame when its CRC fails, which also eats
the start of the next good packet. This framer instead steps one byte past a bad magic and rescans,
so a truncated packet costs only its own bytes. Each link gets its own explicit v2 ``ardupilotmega``
parser: no ``mavutil`` and no process-wide dialect switching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as apm

from vehicle.tlog import frame_length

__all__ = ["Decoder", "DecodeStats", "new_mav"]

_V1 = 0xFE
_V2 = 0xFD


def new_mav(source_system: int = 255, source_component: int = 190) -> apm.MAVLink:
    """A standalone v2 encoder/decoder object; callers attach a writer as ``.file``."""
    mav = apm.MAVLink(None, srcSystem=source_system, srcComponent=source_component)
    mav.robust_parsing = True
    return mav


@dataclass
class DecodeStats:
    """Running counts for one link (good packets, bad bytes, bad CRCs, unknown ids, refused,
    seq gaps). Every byte fed ends up in exactly one of: a delivered or refused message, an
    unknown-id frame, ``bad_bytes``, or the tail still ``pending``."""

    bytes_in: int = 0
    messages: int = 0
    bad_bytes: int = 0
    bad_crc: int = 0
    unknown: int = 0
    unknown_bytes: int = 0
    unsigned_refused: int = 0
    seq_drops: int = 0
    _last_seq: dict[tuple[int, int], int] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, int]:
        return {
            "bytes_in": self.bytes_in,
            "messages": self.messages,
            "bad_bytes": self.bad_bytes,
            "bad_crc": self.bad_crc,
            "unknown": self.unknown,
            "unknown_bytes": self.unknown_bytes,
            "unsigned_refused": self.unsigned_refused,
            "seq_drops": self.seq_drops,
        }


class Decoder:
    """Turns arbitrary byte chunks into pymavlink messages; never raises on bad input."""

    def __init__(self, mav: apm.MAVLink):
        self.mav = mav
        self.stats = DecodeStats()
        self._buf = bytearray()

    def feed(self, data: bytes, *, final: bool = False) -> list[Any]:
        """Decode what ``data`` completes; with ``final`` no more bytes come, so flush the rest."""
        self.stats.bytes_in += len(data)
        self._buf += data
        out = self._scan(final)
        while final and self._buf:
            # No more bytes can complete the pending frame: its magic byte is garbage; rescan.
            self.stats.bad_bytes += 1
            del self._buf[:1]
            out.extend(self._scan(final))
        return out

    def _scan(self, final: bool) -> list[Any]:
        buf = self._buf
        out: list[Any] = []
        i = 0
        n = len(buf)
        while i < n:
            b = buf[i]
            if b != _V2 and b != _V1:
                j = _next_magic(buf, i + 1)
                self.stats.bad_bytes += j - i
                i = j
                continue
            if n - i < 3:
                break
            length = frame_length(buf, i)
            if n - i < length:
                break
            msg = self._decode(buf[i : i + length])
            if msg is None:
                self.stats.bad_crc += 1
            elif msg is _UNKNOWN:
                hides = self._hides_known_frame(i, length, final)
                if hides is None:
                    break
                if hides:
                    msg = None
                else:
                    self.stats.unknown += 1
                    self.stats.unknown_bytes += length
                    msg = _SKIP
            if msg is None:
                self.stats.bad_bytes += 1
                i += 1
                continue
            i += length
            if msg is not _SKIP:
                out.append(msg)
        del buf[:i]
        return out

    def _decode(self, frame: bytearray) -> Any:
        """The message, ``_SKIP`` for a well-formed frame not to deliver, or None for garbage."""
        try:
            msg = self.mav.decode(frame)
        except apm.MAVError as exc:
            if "signature" in str(exc.message):
                self.stats.unsigned_refused += 1
                return _SKIP
            return None
        except Exception:  # pymavlink raises plain errors on some malformed payloads
            return None
        if msg.get_type().startswith("UNKNOWN_"):
            return _UNKNOWN
        hdr = msg._header
        key = (hdr.srcSystem, hdr.srcComponent)
        last = self.stats._last_seq.get(key)
        if last is not None:
            self.stats.seq_drops += (hdr.seq - last - 1) % 256
        self.stats._last_seq[key] = hdr.seq
        self.stats.messages += 1
        return msg

    def _hides_known_frame(self, start: int, length: int, final: bool) -> bool | None:
        """An unknown id cannot be CRC-checked (no CRC extra), so a truncated packet's header can
        pose as one; refuse it when a verifiable packet starts inside the span it claims.
        None means a candidate inside is still incomplete: wait for more bytes."""
        buf = self._buf
        j = _next_magic(buf, start + 1)
        while j < start + length:
            if len(buf) - j < 3 and not final:
                return None
            if len(buf) - j >= 3:
                size = frame_length(buf, j)
                if len(buf) - j < size and not final:
                    return None
                if len(buf) - j >= size:
                    try:
                        probe = self.mav.decode(buf[j : j + size])
                    except Exception:
                        probe = None
                    if probe is not None and not probe.get_type().startswith("UNKNOWN_"):
                        return True
            j = _next_magic(buf, j + 1)
        return False

    @property
    def pending(self) -> int:
        return len(self._buf)


_SKIP = object()
_UNKNOWN = object()


def _next_magic(buf: bytearray, start: int) -> int:
    a = buf.find(b"\xfd", start)
    b = buf.find(b"\xfe", start)
    if a < 0:
        return b if b >= 0 else len(buf)
    return a if b < 0 or a < b else b
