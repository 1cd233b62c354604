"""Commanding a vehicle over a ``MessageLink``: acknowledged commands, modes, arming, flying.

Everything the operator's ``fly`` needs beyond the mission stores: COMMAND_LONG with its
COMMAND_ACK (resent with a growing confirmation count), set the current item, wait until the
vehicle can arm (GPS 3D fix and an EKF with an absolute position, which ArduPilot requires
before it arms), arm, take off, start the mission, follow MISSION_ITEM_REACHED, return home.
ArduCopter's custom mode numbers are used for modes; other autopilots are not flown here.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as apm

from mission.text import N_
from vehicle.autopilots.ardupilot import COPTER_MODES
from vehicle.errors import TransferError
from vehicle.heartbeat import is_vehicle
from vehicle.intervals import MAV_CMD_SET_MESSAGE_INTERVAL, interval_requests
from vehicle.signing import signing_timestamp
from vehicle.transfer.protocol import (
    RETRIES,
    TIMEOUT_S,
    VEHICLE,
    Exchange,
    MessageLink,
    Target,
    TransferTimeout,
)

__all__ = [
    "find_vehicle",
    "set_current",
    "sign_vehicle",
    "Vehicle",
    "CommandError",
    "FlightEvent",
    "COPTER_MODES",
    "EKF_POS_ABS",
    "EKF_CONST_POS",
    "PREARM_CHECK",
    "prearm_passed",
]

EKF_POS_ABS = 0x10  # EKF_POS_HORIZ_ABS: an absolute horizontal position
EKF_CONST_POS = 0x80  # EKF_CONST_POS_MODE: still dead-reckoning from a constant position
PREARM_CHECK = 1 << 28  # MAV_SYS_STATUS_PREARM_CHECK: ArduPilot's pre-arm checks, as a sensor
PREARM_GRACE_S = 2.0  # a vehicle located this long without reporting pre-arm checks: none come


def prearm_passed(status: Any) -> bool | None:
    """Whether a SYS_STATUS says the vehicle's pre-arm checks pass; None when it does not report
    them (ArduPilot lists them as a sensor, ``MAV_SYS_STATUS_PREARM_CHECK``)."""
    if not status.onboard_control_sensors_present & PREARM_CHECK:
        return None
    return bool(status.onboard_control_sensors_health & PREARM_CHECK)


_ARMED = 0x80  # MAV_MODE_FLAG_SAFETY_ARMED
_IN_PROGRESS = 5
_UNSUPPORTED = 3
_ON_GROUND = 1  # MAV_LANDED_STATE_ON_GROUND


class CommandError(TransferError):
    """The vehicle refused or never acknowledged a command."""


@dataclass(frozen=True)
class FlightEvent:
    """Something ``watch`` reports: an item reached, a mode change, a landing, a vehicle message.

    A "mode" event carries the custom mode number in ``seq`` and its name in ``text``; "landed"
    carries the last position the vehicle reported (``None`` if it reported none); "position"
    comes with every GLOBAL_POSITION_INT, so a follower knows where the drone is (and can act
    between items, as a diversion must). "fence" comes when FENCE_STATUS's breach starts (``text``
    "breached", ``seq`` its FENCE_BREACH type) and when it ends ("cleared"). "ground" events are
    the ground station's own doings (``vehicle.fence_recovery``), never the vehicle's words.
    """

    kind: str  # "reached", "current", "mode", "landed", "text", "position", "fence", "ground"
    seq: int | None = None
    text: str = ""
    lat: float | None = None
    lon: float | None = None


def _result_name(code: int) -> str:
    entry = apm.enums["MAV_RESULT"].get(int(code))
    return entry.name if entry is not None else f"MAV_RESULT({code})"


def _cmd_name(command: int) -> str:
    entry = apm.enums["MAV_CMD"].get(int(command))
    return entry.name if entry is not None else f"MAV_CMD({command})"


def find_vehicle(
    link: MessageLink, timeout_s: float, clock: Callable[[], float] = time.monotonic
) -> Target:
    """The system and component of the first autopilot heard on the link (HEARTBEAT)."""
    deadline = clock() + timeout_s
    while (remaining := deadline - clock()) > 0:
        msg = link.recv(remaining)
        if msg is not None and is_vehicle(msg):
            return Target(msg.get_srcSystem(), msg.get_srcComponent())
    raise TransferTimeout(
        N_(
            "no vehicle heartbeat within {timeout_s:g} s; check the connection string, that "
            "the vehicle is powered, and the signing key if the link is signed",
            timeout_s=timeout_s,
        )
    )


def set_current(link: MessageLink, seq: int, *, target: Target = VEHICLE, **options) -> None:
    """Make mission item ``seq`` the vehicle's current item."""
    Vehicle(link, target, **options).set_current(seq)


def sign_vehicle(
    link: MessageLink,
    key: bytes,
    target: Target,
    timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
) -> Target:
    """Give ``target`` the signing key until a signed HEARTBEAT comes back over ``link``.

    ``link`` must already sign with ``key`` and refuse unsigned messages, so the heartbeat that
    ends the wait proves the vehicle signs too. SETUP_SIGNING has no acknowledgement and a
    listening UDP link cannot send before the vehicle is heard, hence the repetition.
    """
    deadline = clock() + timeout_s
    vehicle = Vehicle(link, target, clock=clock)
    learning = getattr(link, "learning_unsigned_peer", contextlib.nullcontext)
    with learning():
        while clock() < deadline:
            vehicle.setup_signing(key)
            try:
                return find_vehicle(link, min(1.0, max(deadline - clock(), 0.01)), clock)
            except TransferTimeout:
                continue
    raise TransferTimeout(
        N_(
            "no signed heartbeat within {timeout_s:g} s after SETUP_SIGNING; check the key, "
            "the target system id, and that the vehicle is disarmed (ArduPilot refuses keys "
            "when armed)",
            timeout_s=timeout_s,
        )
    )


class Vehicle:
    """One vehicle on one link, commanded with the protocol's acknowledgements and retries."""

    def __init__(
        self,
        link: MessageLink,
        target: Target = VEHICLE,
        *,
        timeout_s: float = TIMEOUT_S,
        retries: int = RETRIES,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.link = link
        self.target = target
        self.timeout_s = timeout_s
        self.retries = retries
        self.clock = clock
        self.ex = Exchange(link, target, clock=clock)

    def command(self, command: int, *params: float, accept_unsupported: bool = False) -> int:
        """Send COMMAND_LONG until its COMMAND_ACK; returns the MAV_RESULT, raises on refusal."""
        p = [float(x) for x in params] + [0.0] * (7 - len(params))
        t = self.target
        for confirmation in range(self.retries + 1):
            self.ex.send(
                self.link.mav.command_long_encode(t.system, t.component, command, confirmation, *p)
            )
            deadline = self.clock() + self.timeout_s
            while (msg := self.ex.recv_until(deadline)) is not None:
                if msg.get_type() != "COMMAND_ACK" or msg.command != command:
                    continue
                if msg.result == _IN_PROGRESS:
                    deadline = self.clock() + self.timeout_s
                    continue
                if msg.result == 0 or (accept_unsupported and msg.result == _UNSUPPORTED):
                    return int(msg.result)
                reason = f" ({self.ex.texts[-1]})" if self.ex.texts else ""
                raise CommandError(
                    N_(
                        "vehicle refused {cmd_name} with {result_name}{reason}; check the vehicle's "
                        "messages and retry",
                        cmd_name=_cmd_name(command),
                        result_name=_result_name(msg.result),
                        reason=reason,
                    )
                )
        raise CommandError(
            N_(
                "vehicle never acknowledged {cmd_name} ({retries} retries of {timeout_s:g} s); "
                "check the link",
                cmd_name=_cmd_name(command),
                retries=self.retries,
                timeout_s=self.timeout_s,
            )
        )

    def set_current(self, seq: int) -> None:
        """Make mission item ``seq`` the current one; confirmed by ack or by MISSION_CURRENT."""
        result = self.command(224, seq, accept_unsupported=True)  # DO_SET_MISSION_CURRENT
        if result == 0:
            return
        t = self.target
        for _ in range(self.retries + 1):
            self.ex.send(self.link.mav.mission_set_current_encode(t.system, t.component, seq))
            deadline = self.clock() + self.timeout_s
            while (msg := self.ex.recv_until(deadline)) is not None:
                if msg.get_type() == "MISSION_CURRENT" and msg.seq == seq:
                    return
        raise TransferTimeout(
            N_("vehicle never confirmed current item {seq}; check the link", seq=seq)
        )

    def request_telemetry(self, rate_hz: float = 5.0) -> None:
        """Ask for the messages ``wait_armable`` and ``watch`` read (ArduPilot sends few unasked)."""
        names = ("GPS_RAW_INT", "GLOBAL_POSITION_INT", "EKF_STATUS_REPORT", "EXTENDED_SYS_STATE",
                 "FENCE_STATUS")  # fmt: skip
        wanted = dict.fromkeys((*names, "SYS_STATUS", "MISSION_CURRENT"), rate_hz)
        for req in interval_requests(wanted):
            self.command(
                MAV_CMD_SET_MESSAGE_INTERVAL, req.msg_id, req.interval_us, accept_unsupported=True
            )

    def wait_armable(self, timeout_s: float) -> None:
        """Until GPS has a 3D fix, the EKF an absolute position and the vehicle's pre-arm checks
        pass (SYS_STATUS; one that reports none within ``PREARM_GRACE_S`` of being located is
        taken as it is); say what is missing if not.

        The pre-arm checks count: a vehicle that had not heard a ground station for its
        FS_GCS_TIMEOUT holds its GCS failsafe until the next heartbeat is taken in, and an arm
        sent before that is refused ("PreArm: GCS failsafe on")."""
        deadline = self.clock() + timeout_s
        fix = 0
        ekf = 0
        prearm: bool | None = None  # None: no SYS_STATUS with the pre-arm checks in it yet
        located_at: float | None = None
        seen_heartbeat = False
        while (msg := self.ex.recv_until(deadline)) is not None:
            kind = msg.get_type()
            if kind == "HEARTBEAT":
                seen_heartbeat = True
            elif kind == "GPS_RAW_INT":
                fix = int(msg.fix_type)
            elif kind == "EKF_STATUS_REPORT":
                ekf = int(msg.flags)
            elif kind == "SYS_STATUS" and (reported := prearm_passed(msg)) is not None:
                prearm = reported
            if not (seen_heartbeat and fix >= 3 and ekf & EKF_POS_ABS and not ekf & EKF_CONST_POS):
                continue
            located_at = located_at if located_at is not None else self.clock()
            unreported = prearm is None and self.clock() - located_at >= PREARM_GRACE_S
            if prearm or unreported:
                return
        if not seen_heartbeat:
            missing = N_("no HEARTBEAT from the vehicle")
        elif fix < 3:
            missing = N_("GPS fix type {fix}, needs 3 (3D)", fix=fix)
        elif not ekf & EKF_POS_ABS or ekf & EKF_CONST_POS:
            missing = N_("EKF flags {ekf:#x} lack an absolute position", ekf=ekf)
        else:
            said = [t for t in self.ex.texts if "prearm" in t.lower()]
            missing = N_("pre-arm checks failing ({said})", said=said[-1] if said else "-")
        raise TransferTimeout(
            N_(
                "vehicle not ready to arm after {timeout_s:g} s: {missing}; wait for GPS and "
                "EKF, or raise the timeout",
                timeout_s=timeout_s,
                missing=missing,
            )
        )

    def set_mode(self, mode: str) -> None:
        self.command(176, 1, COPTER_MODES[mode])  # DO_SET_MODE, custom mode enabled

    def arm(self) -> None:
        self.command(400, 1)  # COMPONENT_ARM_DISARM

    def takeoff(self, alt_m: float, timeout_s: float = 60.0) -> None:
        """Take off in GUIDED and wait until 90 % of ``alt_m`` above home."""
        self.command(22, 0, 0, 0, 0, 0, 0, alt_m)  # NAV_TAKEOFF
        deadline = self.clock() + timeout_s
        while (msg := self.ex.recv_until(deadline)) is not None:
            if msg.get_type() == "GLOBAL_POSITION_INT" and msg.relative_alt >= alt_m * 900:
                return
        raise TransferTimeout(
            N_(
                "vehicle did not climb to {alt_m:g} m within {timeout_s:g} s; command RTL and "
                "check it",
                alt_m=alt_m,
                timeout_s=timeout_s,
            )
        )

    def start_mission(self) -> None:
        self.command(300, 0, 0)  # MISSION_START, first to last item

    def return_to_launch(self) -> None:
        self.set_mode("RTL")

    def request_message(self, msg_id: int, timeout_s: float = 1.0) -> Any | None:
        """One MAV_CMD_REQUEST_MESSAGE for ``msg_id`` and its answer, or None: ArduPilot sends
        some messages only when it has them (HOME_POSITION once home is set), so silence is an
        answer too and is not retried."""
        t = self.target
        self.ex.send(self.link.mav.command_long_encode(t.system, t.component, 512, 0, msg_id,
                                                       0, 0, 0, 0, 0, 0))  # fmt: skip
        deadline = self.clock() + timeout_s
        while (msg := self.ex.recv_until(deadline)) is not None:
            if msg.get_msgId() == msg_id:
                return msg
        return None

    def reboot(self) -> None:
        """Restart the autopilot (MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN), as a pack swap power-cycles
        it: the battery monitor starts full and a latched battery failsafe is cleared."""
        self.command(246, 1)  # param1 1: reboot the autopilot

    def setup_signing(self, key: bytes, timestamp: int | None = None) -> None:
        """Give the vehicle a MAVLink 2 signing key (SETUP_SIGNING; the vehicle sends no ack).

        From then on the vehicle drops our unsigned messages, so the caller must reopen its link
        with the same key. The timestamp is MAVLink's: 10 µs units since 2015-01-01.
        """
        if len(key) != 32:
            raise TransferError(N_("a MAVLink signing key is 32 bytes; check the key file"))
        stamp = timestamp if timestamp is not None else signing_timestamp()
        t = self.target
        self.ex.send(self.link.mav.setup_signing_encode(t.system, t.component, key, stamp))

    def watch(self, timeout_s: float, replay: Iterable[Any] = ()) -> Iterator[FlightEvent]:
        """Reached and current items, mode changes, vehicle texts, and "landed" once on the ground
        and disarmed. ArduCopter sends no MISSION_ITEM_REACHED for a final LAND or RTL item: it
        ends by landing, so MISSION_CURRENT is the evidence that it was flown. ``replay`` are
        messages already read from this vehicle (while measuring its clock), judged first."""
        deadline = self.clock() + timeout_s
        armed_seen = False
        on_ground = False
        mode: int | None = None
        current: int | None = None
        breached = False
        where: tuple[float | None, float | None] = (None, None)
        names = {number: name for name, number in COPTER_MODES.items()}
        for msg in itertools.chain(replay, iter(lambda: self.ex.recv_until(deadline), None)):
            kind = msg.get_type()
            if kind == "MISSION_ITEM_REACHED":
                yield FlightEvent("reached", seq=int(msg.seq))
            elif kind == "MISSION_CURRENT" and msg.seq != current:
                current = int(msg.seq)
                yield FlightEvent("current", seq=current)
            elif kind == "STATUSTEXT":
                yield FlightEvent("text", text=str(msg.text))
            elif kind == "FENCE_STATUS" and bool(msg.breach_status) != breached:
                breached = bool(msg.breach_status)
                yield FlightEvent("fence", seq=int(msg.breach_type),
                                  text="breached" if breached else "cleared")  # fmt: skip
            elif kind == "EXTENDED_SYS_STATE":
                on_ground = msg.landed_state == _ON_GROUND
            elif kind == "GLOBAL_POSITION_INT" and (msg.lat or msg.lon):
                where = (msg.lat / 1e7, msg.lon / 1e7)
                yield FlightEvent("position", lat=where[0], lon=where[1])
            elif kind == "HEARTBEAT":
                if msg.custom_mode != mode:
                    mode = int(msg.custom_mode)
                    yield FlightEvent("mode", seq=mode, text=names.get(mode, f"mode {mode}"))
                armed = bool(msg.base_mode & _ARMED)
                armed_seen = armed_seen or armed
                if armed_seen and not armed and on_ground:
                    yield FlightEvent("landed", lat=where[0], lon=where[1])
                    return
        raise TransferTimeout(
            N_(
                "vehicle had not landed and disarmed after {timeout_s:g} s; watch it and command "
                "RTL or LAND",
                timeout_s=timeout_s,
            )
        )
