"""Whether the pack in the vehicle can fly a sortie, judged on what the vehicle itself reports.

The planner's endurance is a number the operator typed; a pack is what the vehicle says it holds.
A sortie needs the flight model's minutes times a consumption figure (mAh per minute of flight,
declared by the operator or learnt from an earlier flight's telemetry) plus the reserve the
battery failsafe keeps (``BATT_LOW_MAH`` = reserve x capacity). The pack has ``BATT_CAPACITY``
less what BATTERY_STATUS says is used (or its remaining percentage, whichever is lower). Nothing
unknown is assumed: no capacity, no battery state or no consumption figure refuses the sortie.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mission.checks import failsafe_returns
from mission.flight_model import FlightModel
from mission.limits import NO_FLY_MARGIN_M
from mission.model import District, Mission
from mission.text import N_
from vehicle.decode import Decoder, new_mav
from vehicle.errors import VehicleError
from vehicle.tlog import TlogReader
from vehicle.transfer.protocol import Exchange, MessageLink, Target

__all__ = [
    "Consumption",
    "PackState",
    "Budget",
    "EnduranceError",
    "declared_consumption",
    "learn_consumption",
    "read_pack",
    "budget",
    "require_consumption",
    "require_endurance",
    "require_return",
    "HOW_TO_DECLARE",
]

HOW_TO_DECLARE = (
    "declare it with --consumption-mah-per-min N (mAh the pack gives per minute of flight) or "
    "learn it with --consumption-from FLIGHT.tlog (an earlier flight of this airframe)"
)
_MAX_MAH_PER_MIN = 20_000.0  # 1.2 kA: no multicopter draws that; anything above is a typo
_MIN_LEARN_S = 60.0
_ARMED = 0x80
_BATTERY_STATUS, _SYS_STATUS = 147, 1


class EnduranceError(VehicleError):
    """The pack cannot fly the sortie, or what it holds or draws is not known."""


@dataclass(frozen=True)
class Consumption:
    """mAh drawn per minute of flight, and where the figure came from (shown to the operator)."""

    mah_per_min: float
    source: str


@dataclass(frozen=True)
class PackState:
    """What the vehicle reports about its pack; ``None`` where it reports nothing."""

    capacity_mah: float
    consumed_mah: float | None = None
    remaining_pct: float | None = None

    @property
    def available_mah(self) -> float:
        """The lower of capacity less used and capacity times remaining: never the hopeful one."""
        options = []
        if self.consumed_mah is not None:
            options.append(self.capacity_mah - self.consumed_mah)
        if self.remaining_pct is not None:
            options.append(self.capacity_mah * self.remaining_pct / 100.0)
        return max(min(options), 0.0) if options else 0.0


@dataclass(frozen=True)
class Budget:
    """The comparison ``require_endurance`` makes, with every number it used."""

    flight_min: float
    consumption: Consumption
    reserve_mah: float
    pack: PackState

    @property
    def flight_mah(self) -> float:
        return self.flight_min * self.consumption.mah_per_min

    @property
    def pack_endurance_min(self) -> float:
        """How long the whole pack flies at this consumption: what the vehicle's failsafe
        levels (shares of BATT_CAPACITY) are measured against."""
        return self.pack.capacity_mah / self.consumption.mah_per_min

    @property
    def needed_mah(self) -> float:
        return self.flight_mah + self.reserve_mah

    @property
    def fits(self) -> bool:
        return math.isfinite(self.needed_mah) and self.needed_mah <= self.pack.available_mah

    @property
    def max_flight_min(self) -> float:
        """The longest sortie this pack flies now, reserve kept."""
        spare = self.pack.available_mah - self.reserve_mah
        return max(spare, 0.0) / self.consumption.mah_per_min

    def line(self) -> str:
        """One line for the operator: needed against available, with how each was derived."""
        used = f", {self.pack.consumed_mah:.0f} used" if self.pack.consumed_mah is not None else ""
        left = (
            f", {self.pack.remaining_pct:.0f} % left" if self.pack.remaining_pct is not None else ""
        )
        return (
            f"sortie needs {self.needed_mah:.0f} mAh ({self.flight_min:.1f} min x "
            f"{self.consumption.mah_per_min:.0f} mAh/min {self.consumption.source} + "
            f"{self.reserve_mah:.0f} mAh reserve); the pack has {self.pack.available_mah:.0f} mAh "
            f"(BATT_CAPACITY {self.pack.capacity_mah:.0f}{used}{left})"
        )


def _finite_positive(value: float) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def declared_consumption(mah_per_min: float) -> Consumption:
    """The operator's figure, refused if it cannot be a pack's draw."""
    if not _finite_positive(mah_per_min) or mah_per_min > _MAX_MAH_PER_MIN:
        raise EnduranceError(
            N_(
                "--consumption-mah-per-min {mah_per_min} is not a plausible draw; give mAh per "
                "minute of flight between 0 and {max_mah_per_min:.0f} (e.g. 450 for 27 A)",
                mah_per_min=mah_per_min,
                max_mah_per_min=_MAX_MAH_PER_MIN,
            )
        )
    return Consumption(float(mah_per_min), "declared")


def learn_consumption(path: Path) -> Consumption:
    """mAh per minute while armed in a recorded flight (.tlog), from the vehicle's own counters.

    Time is the vehicle's boot clock (a SITL tlog at speed-up 10 has wall-clock stamps ten times
    too short). Used mAh comes from BATTERY_STATUS.current_consumed, summed over increases only,
    so a counter reset or a reordered packet never makes the draw look smaller.
    """
    path = Path(path)
    if not path.is_file():
        raise EnduranceError(
            N_("flight log {path} does not exist; give a .tlog of an earlier flight", path=path)
        )
    learner = _Learner()
    decoder = Decoder(new_mav())
    for _ts, packet in TlogReader(path):
        for msg in decoder.feed(packet):
            learner.take(msg)
    return learner.result(path)


class _Learner:
    """Armed time and used mAh of the first autopilot in a recording."""

    def __init__(self) -> None:
        self.system: int | None = None
        self.armed = False
        self.boot_ms: float | None = None
        self.armed_s = 0.0
        self.used_mah = 0.0
        self.last_consumed: float | None = None

    def take(self, msg: Any) -> None:
        kind = msg.get_type()
        if kind == "HEARTBEAT" and self.system is None and msg.autopilot != 8 and msg.type != 6:
            self.system = msg.get_srcSystem()
        if self.system is None or msg.get_srcSystem() != self.system:
            return
        if kind == "HEARTBEAT":
            self.armed = bool(msg.base_mode & _ARMED)
        boot = getattr(msg, "time_boot_ms", None)
        if isinstance(boot, int):
            if self.armed and self.boot_ms is not None and 0 < boot - self.boot_ms < 5000:
                self.armed_s += (boot - self.boot_ms) / 1000.0
            self.boot_ms = boot
        if kind == "BATTERY_STATUS" and msg.current_consumed >= 0:
            consumed = float(msg.current_consumed)
            if self.armed and self.last_consumed is not None and consumed > self.last_consumed:
                self.used_mah += consumed - self.last_consumed
            self.last_consumed = consumed

    def result(self, path: Path) -> Consumption:
        if self.armed_s < _MIN_LEARN_S or self.used_mah <= 0:
            raise EnduranceError(
                N_(
                    "{name} holds {armed_s:.0f} s of armed flight with {used_mah:.0f} mAh used "
                    "(BATTERY_STATUS); a consumption needs at least {min_learn_s:.0f} s with the "
                    "battery monitor on; {how_to_declare}",
                    name=path.name,
                    armed_s=self.armed_s,
                    used_mah=self.used_mah,
                    min_learn_s=_MIN_LEARN_S,
                    how_to_declare=HOW_TO_DECLARE,
                )
            )
        rate = self.used_mah / (self.armed_s / 60.0)
        return Consumption(rate, f"learnt from {path.name} ({self.armed_s / 60:.1f} min flown)")


def read_pack(
    link: MessageLink,
    target: Target,
    capacity_mah: float,
    *,
    timeout_s: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
) -> PackState:
    """The pack's state from BATTERY_STATUS (else SYS_STATUS); ``capacity_mah`` is BATT_CAPACITY.

    Asks for both messages at 2 Hz first: ArduPilot sends little telemetry unasked.
    """
    if not _finite_positive(capacity_mah):
        raise EnduranceError(
            N_(
                "vehicle reports BATT_CAPACITY {capacity_mah:g}: the pack's capacity is unknown; "
                "set BATT_CAPACITY on the vehicle to the pack's mAh, then retry",
                capacity_mah=capacity_mah,
            )
        )
    ex = Exchange(link, target, clock=clock)
    for msg_id in (_BATTERY_STATUS, _SYS_STATUS):
        ex.send(
            link.mav.command_long_encode(
                target.system, target.component, 511, 0, msg_id, 500_000, 0, 0, 0, 0, 0
            )
        )
    deadline = clock() + timeout_s
    fallback: PackState | None = None
    while (msg := ex.recv_until(deadline)) is not None:
        kind = msg.get_type()
        if kind == "BATTERY_STATUS" and msg.id == 0:
            consumed = float(msg.current_consumed) if msg.current_consumed >= 0 else None
            state = PackState(capacity_mah, consumed, _percent(msg.battery_remaining))
            if consumed is not None or state.remaining_pct is not None:
                return state
        if kind == "SYS_STATUS" and fallback is None:
            fallback = PackState(capacity_mah, None, _percent(msg.battery_remaining))
    if fallback is not None and fallback.remaining_pct is not None:
        return fallback
    raise EnduranceError(
        N_(
            "vehicle reported no battery state (BATTERY_STATUS or SYS_STATUS with a "
            "remaining percentage) within {timeout_s:g} s; enable its battery monitor "
            "(BATT_MONITOR) and retry",
            timeout_s=timeout_s,
        )
    )


def _percent(value: int) -> float | None:
    return float(value) if 0 <= value <= 100 else None


def budget(
    mission: Mission,
    pack: PackState,
    consumption: Consumption | None,
    *,
    reserve: float,
    flight_model: FlightModel | None = None,
) -> Budget:
    """The sortie's energy against the pack; refuses unknown consumption rather than guess."""
    require_consumption(consumption)
    if not 0 < reserve < 1:
        raise EnduranceError(
            N_("--reserve {reserve} must be a fraction between 0 and 1, e.g. 0.2", reserve=reserve)
        )
    model = flight_model or FlightModel(cruise_mps=mission.cruise_mps, reserve=reserve)
    flight_s = model.mission_time_s(mission)
    return Budget(flight_s / 60.0, consumption, pack.capacity_mah * reserve, pack)


def require_consumption(consumption: Consumption | None) -> Consumption:
    """The figure, or a refusal saying how to give one: endurance is never assumed."""
    if consumption is None:
        raise EnduranceError(
            N_(
                "the pack's consumption is unknown, so endurance cannot be checked; "
                "{how_to_declare}",
                how_to_declare=HOW_TO_DECLARE,
            )
        )
    return consumption


def require_endurance(plan: Budget) -> Budget:
    """Raise one line with the numbers and the fix unless the pack flies the sortie."""
    if plan.fits:
        return plan
    if not math.isfinite(plan.flight_min):
        raise EnduranceError(
            N_("the sortie never ends (unbounded loop or loiter), so no pack can fly it; bound it")
        )
    endurance = plan.pack_endurance_min
    raise EnduranceError(
        N_(
            "{line}: it cannot fly this sortie; replan for at most {max_flight_min:.1f} min "
            "(gridpatrol plan ... --endurance-min {floor:.1f}), or fit a charged pack",
            line=plan.line(),
            max_flight_min=plan.max_flight_min,
            floor=math.floor(endurance * 10) / 10,
        )
    )


def require_return(
    mission: Mission,
    district: District,
    plan: Budget,
    *,
    reserve: float,
    margin_m: float = NO_FLY_MARGIN_M,
) -> None:
    """Raise one line unless, on this pack, a low-battery return from every point of the sortie
    reaches its rally point before the critical failsafe lands the copter where it is.

    The planner checked that on its own flight model; the vehicle's failsafes are set from this
    pack (``BATT_LOW_MAH`` = capacity x reserve), so the window between them is the pack's, and a
    smaller pack than planned for shortens it."""
    endurance_min = plan.pack_endurance_min
    model = FlightModel(endurance_min=endurance_min, reserve=reserve, cruise_mps=mission.cruise_mps)
    short = failsafe_returns(mission, district, margin_m, model)
    if short:
        raise EnduranceError(
            N_(
                "{line} (on this pack: BATT_CAPACITY {capacity:.0f} mAh at {rate:.0f} mAh/min "
                "is {endurance_min:.1f} min)",
                line=short[0],
                capacity=plan.pack.capacity_mah,
                rate=plan.consumption.mah_per_min,
                endurance_min=endurance_min,
            )
        )
