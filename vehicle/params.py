"""The MAVLink parameter protocol: set a value, see the vehicle confirm it, read it back.

PARAM_SET is answered by a broadcast PARAM_VALUE carrying the value the vehicle now holds; no
answer within the timeout means resend (https://mavlink.io/en/services/parameter.html). The value
field is a float for every type. ArduPilot casts integers to float ("C cast" encoding), PX4 copies
their bytes into the field ("bytewise"); both are supported so another autopilot needs no new
protocol code. A confirmation is judged by the type the vehicle reports: integers must match
exactly, REAL32 to float32 precision. A vehicle that answers with another value (clamped,
read-only, refused) is reported by name with both values; nothing is ever silently accepted.
"""

from __future__ import annotations

import dataclasses
import math
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mission.text import N_
from vehicle.autopilots.base import Encoding
from vehicle.errors import TransferError
from vehicle.safety_params import ParamType, Setting
from vehicle.transfer.protocol import VEHICLE, Exchange, MessageLink, Target

__all__ = [
    "Encoding",
    "ParamValue",
    "ParamRow",
    "ParamError",
    "ParamTimeout",
    "ParamMismatch",
    "ParamClient",
    "encode",
    "decode",
    "agrees",
    "require_confirmed",
    "format_rows",
]

TIMEOUT_S = 1.0
RETRIES = 3
_SILENT_AFTER = 2  # parameters in a row with no answer at all before giving up on the vehicle

_INT_FORMATS = {
    ParamType.UINT8: "<B",
    ParamType.INT8: "<b",
    ParamType.UINT16: "<H",
    ParamType.INT16: "<h",
    ParamType.UINT32: "<I",
    ParamType.INT32: "<i",
}


def _f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def encode(value: float, ptype: ParamType, encoding: Encoding = Encoding.CAST) -> float:
    """The float to put in PARAM_SET.param_value."""
    fmt = _INT_FORMATS.get(ptype)
    if encoding is Encoding.CAST or fmt is None:
        return float(value)
    raw = struct.pack(fmt, int(round(value))).ljust(4, b"\0")
    return struct.unpack("<f", raw)[0]


def decode(raw: float, ptype: ParamType, encoding: Encoding = Encoding.CAST) -> float:
    """The parameter's value from PARAM_VALUE.param_value."""
    fmt = _INT_FORMATS.get(ptype)
    if encoding is Encoding.CAST or fmt is None:
        return float(raw)
    size = struct.calcsize(fmt)
    return float(struct.unpack(fmt, struct.pack("<f", raw)[:size])[0])


def agrees(wanted: float, reported: float, ptype: ParamType) -> bool:
    """Whether the vehicle holds what was asked, at the precision its type can hold."""
    if not math.isfinite(reported):
        return False
    if ptype.is_integer:
        return round(reported) == round(wanted) and abs(reported - round(reported)) < 1e-3
    return math.isclose(reported, _f32(wanted), rel_tol=1e-6, abs_tol=1e-6)


@dataclass(frozen=True)
class ParamValue:
    """One PARAM_VALUE, decoded."""

    name: str
    value: float
    type: ParamType
    index: int
    count: int


@dataclass(frozen=True)
class ParamRow:
    """One line of the table an operator sees: what was wanted, what the vehicle confirmed."""

    name: str
    wanted: float
    confirmed: float | None
    ok: bool
    unit: str = ""
    reason: str = ""
    reboot: bool = False  # changed by this upload, which restarted the vehicle for it


class ParamError(TransferError):
    """A parameter could not be set or confirmed; the vehicle must not be armed."""


class ParamTimeout(ParamError):
    """The vehicle never answered for a parameter, within the timeout and retries."""

    def __init__(self, name: str, tries: int):
        self.name = name
        super().__init__(
            N_(
                "vehicle did not answer for parameter {name} after {tries} tries; check the link, "
                "and that this firmware has {name}",
                name=name,
                tries=tries,
            )
        )


class ParamMismatch(ParamError):
    """The vehicle reports a value other than the one set."""

    def __init__(self, name: str, wanted: float, reported: float, unit: str = "", more: int = 0):
        self.name, self.wanted, self.reported = name, wanted, reported
        also = N_(" (and {more} more parameters)", more=more) if more else ""
        u = f" {unit}" if unit else ""
        super().__init__(
            N_(
                "vehicle reports {name} = {reported}{unit} but {wanted}{unit} was set{also}; "
                "do not arm: check the parameter's range on this vehicle and upload again",
                name=name,
                reported=_fmt(reported),
                wanted=_fmt(wanted),
                unit=u,
                also=also,
            )
        )


class ParamClient:
    """Parameter reads and writes with one vehicle over a ``MessageLink``."""

    def __init__(
        self,
        link: MessageLink,
        target: Target = VEHICLE,
        *,
        timeout_s: float = TIMEOUT_S,
        retries: int = RETRIES,
        encoding: Encoding = Encoding.CAST,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._x = Exchange(link, target, clock=clock)
        self.target = target
        self.timeout_s = timeout_s
        self.retries = retries
        self.encoding = encoding
        self.clock = clock

    def read(self, name: str) -> ParamValue:
        """PARAM_REQUEST_READ by name, resent until a PARAM_VALUE for it arrives."""
        mav = self._x.mav
        msg = mav.param_request_read_encode(
            self.target.system, self.target.component, name.encode("ascii"), -1
        )
        return self._exchange(name, msg)

    def set(self, name: str, value: float, ptype: ParamType, unit: str = "") -> ParamValue:
        """PARAM_SET, resent until the vehicle confirms; a disagreeing answer is read again once
        (it may be a stale broadcast) and then raises ``ParamMismatch``."""
        mav = self._x.mav
        msg = mav.param_set_encode(
            self.target.system,
            self.target.component,
            name.encode("ascii"),
            encode(value, ptype, self.encoding),
            int(ptype),
        )
        echo = self._exchange(name, msg)
        if agrees(value, echo.value, echo.type):
            return echo
        again = self.read(name)
        if not agrees(value, again.value, again.type):
            raise ParamMismatch(name, value, again.value, unit)
        return again

    def apply(self, settings: Sequence[Setting]) -> list[ParamRow]:
        """Set every setting, then read every one back; one row each, never raises per row.

        The read-back pass runs after all writes, so a write that disturbs an earlier one
        (or a vehicle that forgets) still shows up as a failed row.
        """
        names: dict[str, str] = {}
        answered, unanswered = False, []
        for s in settings:
            names[s.name] = s.name
            if s.verify_only:
                continue
            for name in (s.name, *s.aliases):
                try:
                    self.set(name, s.value, s.type, s.unit)
                except ParamTimeout:
                    continue
                except ParamMismatch:
                    pass
                names[s.name] = name
                answered = True
                break
            else:
                unanswered.append(s.name)
                if not answered and len(unanswered) >= _SILENT_AFTER:
                    raise ParamError(
                        N_(
                            "vehicle answers no parameter requests ({unanswered}); do not arm: check the "
                            "link and that the vehicle speaks the MAVLink parameter protocol",
                            unanswered=", ".join(unanswered),
                        )
                    )
        return self.verify([dataclasses.replace(s, name=names[s.name]) for s in settings])

    def not_in_force(self, settings: Sequence[Setting]) -> list[str]:
        """The boot-time settings (``reboot``) whose value the vehicle does not hold yet: writing
        them will need a restart. One read each; an unanswered read counts as not in force."""
        out = []
        for s in settings:
            if not s.reboot:
                continue
            found = self._read_any((s.name, *s.aliases))
            if found is None or not agrees(s.value, found.value, found.type):
                out.append(s.name)
        return out

    def verify(self, settings: Sequence[Setting]) -> list[ParamRow]:
        """Read every setting and compare, writing nothing: the last look before arming."""
        rows = []
        for s in settings:
            found = self._read_any((s.name, *s.aliases))
            ok = found is not None and agrees(s.value, found.value, found.type)
            rows.append(ParamRow(found.name if found else s.name, s.value,
                                 found.value if found else None, ok, s.unit, s.reason))  # fmt: skip
        return rows

    def _read_any(self, names: Sequence[str]) -> ParamValue | None:
        for name in dict.fromkeys(names):
            try:
                return self.read(name)
            except ParamTimeout:
                continue
        return None

    def _exchange(self, name: str, msg: Any) -> ParamValue:
        tries = self.retries + 1
        for _ in range(tries):
            self._x.send(msg)
            answer = self._await(name)
            if answer is not None:
                return answer
        raise ParamTimeout(name, tries)

    def _await(self, name: str) -> ParamValue | None:
        deadline = self.clock() + self.timeout_s
        while True:
            msg = self._x.recv_until(deadline)
            if msg is None:
                return None
            if msg.get_type() == "PARAM_VALUE" and msg.param_id == name:
                ptype = ParamType(msg.param_type)
                return ParamValue(
                    name,
                    decode(msg.param_value, ptype, self.encoding),
                    ptype,
                    int(msg.param_index),
                    int(msg.param_count),
                )


def require_confirmed(rows: Sequence[ParamRow]) -> None:
    """Raise for the first row the vehicle did not confirm, counting the others."""
    bad = [r for r in rows if not r.ok]
    if not bad:
        return
    first = bad[0]
    if first.confirmed is None:
        more = f" (and {len(bad) - 1} more parameters)" if len(bad) > 1 else ""
        raise ParamError(
            N_(
                "vehicle did not confirm {name}{more}; do not arm: check the link and that this "
                "firmware has the parameter, then upload again",
                name=first.name,
                more=more,
            )
        )
    raise ParamMismatch(first.name, first.wanted, first.confirmed, first.unit, len(bad) - 1)


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


def format_rows(rows: Sequence[ParamRow]) -> str:
    """The table printed by ``gridpatrol upload``: parameter | wanted | confirmed | ok."""
    head = ("parameter", "wanted", "confirmed", "ok")
    body = [
        (r.name, f"{_fmt(r.wanted)} {r.unit}".strip(),
         f"{_fmt(r.confirmed)} {r.unit}".strip() if r.confirmed is not None else "no answer",
         "ok" if r.ok else "MISMATCH" if r.confirmed is not None else "MISSING")
        for r in rows
    ]  # fmt: skip
    widths = [max(len(row[k]) for row in (head, *body)) for k in range(4)]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in (head, *body)]  # fmt: skip
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
