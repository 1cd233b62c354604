"""One sortie on one vehicle, the same way for ``gridpatrol upload``/``fly`` and the demo.

``preflight`` is the gate before upload (it writes the safety table) and again before arming (it
only reads): the pack must fly the sortie (``vehicle.endurance``), then the safety parameters
must be what the sortie needs. ``fly_sortie`` arms, takes off, starts the mission and follows it
to the ground, and returns a ``Verdict``: a failsafe, a mode change nobody here commanded, a
mission whose last item was never reached, or a landing away from every launch site is what it
is, never "landed and disarmed" and success. ``require_completed`` turns a bad verdict into one
line and a non-zero exit.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from mission.flight_model import has_position, haversine_m
from mission.limits import CEILING_M, GCS_TIMEOUT_S, MAX_CEILING_M, RESERVE
from mission.model import Cmd, District, Mission
from mission.text import N_
from vehicle.commands import COPTER_MODES, FlightEvent, Vehicle
from vehicle.endurance import (
    Budget,
    Consumption,
    budget,
    read_pack,
    require_consumption,
    require_endurance,
    require_return,
)
from vehicle.errors import VehicleError
from vehicle.fence_recovery import recover_breaches
from vehicle.gcs_heartbeat import ground_station
from vehicle.params import ParamClient, ParamRow
from vehicle.safety_model import GCS_TIMEOUT_RANGE_S, MAX_CELLS
from vehicle.safety_params import BatteryConfig, safety_config_for, safety_settings
from vehicle.safety_upload import apply_sortie_safety
from vehicle.transfer.protocol import MessageLink, Target

__all__ = [
    "SortiePlan",
    "Preflight",
    "Verdict",
    "SortieAborted",
    "preflight",
    "fly_sortie",
    "judge",
    "require_completed",
    "as_planned",
    "launch_points",
    "takeoff_alt",
    "Diversion",
    "Turned",
    "follow_through",
    "follow_sortie",
]

# ArduPilot's own words when a failsafe or a breach takes over (AP_BattMonitor, Copter events).
FAILSAFE_TEXT = re.compile(
    r"failsafe|battery \d+ is (low|critical)|fence breach|breach|ekf variance|crash", re.IGNORECASE
)
_TAKEN_OVER = {COPTER_MODES[m] for m in ("RTL", "LAND", "SMART_RTL", "BRAKE")}

Report = Callable[[FlightEvent], None]


class SortieAborted(VehicleError):
    """The sortie ended otherwise than planned: the operator is told how, and the exit is not 0."""


@dataclass(frozen=True)
class SortiePlan:
    """What a sortie's checks derive from, besides the mission and the district.

    ``battery_mah`` None means "the pack the vehicle reports" (BATT_CAPACITY); a given value must
    match it. ``consumption`` None refuses every sortie: endurance is never assumed.
    """

    consumption: Consumption | None
    reserve: float = RESERVE
    ceiling_m: float = CEILING_M
    gcs_timeout_s: float = GCS_TIMEOUT_S
    battery_mah: float | None = None
    battery_cells: int = 3
    landing_tolerance_m: float = 20.0

    def __post_init__(self) -> None:
        """Refuse before any vehicle is reached what no sortie can be checked against: a NaN
        reserve or pack went as far as the autopilot's parameter check."""
        low, high = GCS_TIMEOUT_RANGE_S
        pack_ok = self.battery_mah is None or 0 < self.battery_mah <= 1_000_000
        if not (0 <= self.reserve < 1 and 0 < self.ceiling_m <= MAX_CEILING_M
                and low <= self.gcs_timeout_s <= high and pack_ok
                and 1 <= self.battery_cells <= MAX_CELLS
                and 0 < self.landing_tolerance_m <= 1000):  # fmt: skip
            raise VehicleError(
                N_(
                    "--reserve must be in [0, 1), --ceiling in (0, {ceiling:g}] m, --gcs-timeout in "
                    "[{low:g}, {high:g}] s (ArduPilot's FS_GCS_TIMEOUT), --battery-mah positive, "
                    "--battery-cells in 1..{cells} and the landing tolerance in (0, 1000] m",
                    ceiling=MAX_CEILING_M,
                    low=low,
                    high=high,
                    cells=MAX_CELLS,
                )
            )


@dataclass(frozen=True)
class Preflight:
    """The endurance comparison and the safety table an operator sees before the next step."""

    budget: Budget
    rows: list[ParamRow]

    @property
    def restarted(self) -> tuple[str, ...]:
        """The boot-time parameters this upload changed, and restarted the vehicle for."""
        return tuple(r.name for r in self.rows if r.reboot)


def as_planned(mission: Mission) -> Mission:
    """The mission with home at its take-off point, the launch site ``upload`` derived from.

    A downloaded mission's home is where the vehicle booted, metres from the planned launch
    site, which would shift the derived fence radius and fail a check that should pass.
    """
    for item in mission.items:
        if item.command == Cmd.NAV_TAKEOFF and (item.lat or item.lon) and mission.home is not None:
            home = dataclasses.replace(mission.home, lat=item.lat, lon=item.lon)
            return dataclasses.replace(mission, home=home)
    return mission


def preflight(
    link: MessageLink,
    target: Target,
    mission: Mission,
    district: District,
    plan: SortiePlan,
    *,
    write: bool,
) -> Preflight:
    """Endurance first (nothing is written to a vehicle whose pack cannot fly the sortie), then
    the safety table: set and read back (``write``, the upload) or only read (before arming).
    A write that changes a boot-time parameter (``OA_TYPE``) then restarts the vehicle."""
    require_consumption(plan.consumption)
    client = ParamClient(link, target)
    capacity = client.read("BATT_CAPACITY").value
    pack = read_pack(link, target, capacity)
    planned = as_planned(mission)
    energy = require_endurance(budget(planned, pack, plan.consumption, reserve=plan.reserve))
    require_return(planned, district, energy, reserve=plan.reserve)
    battery = BatteryConfig(cells=plan.battery_cells, capacity_mah=plan.battery_mah or capacity)
    options = dict(ceiling_m=plan.ceiling_m, reserve=plan.reserve,
                   gcs_timeout_s=plan.gcs_timeout_s, battery=battery)  # fmt: skip
    if write:
        rows = apply_sortie_safety(link, mission, district, target=target, **options)
    else:
        config = safety_config_for(planned, district, **options)
        rows = client.verify(safety_settings(config))
    return Preflight(energy, rows)


@dataclass
class Verdict:
    """How a flown sortie ended, from the vehicle's own messages."""

    items: int
    ends_by_landing: bool = False
    reached: set[int] = field(default_factory=set)
    current_max: int = 0
    failsafes: list[str] = field(default_factory=list)
    interrupted: bool = False
    landed_at: tuple[float, float] | None = None
    site_distance_m: float | None = None
    tolerance_m: float = 20.0

    @property
    def completed(self) -> bool:
        """The last item reached; a final LAND/RTL item counts once current and landed."""
        if self.items in self.reached:
            return True
        return self.ends_by_landing and self.current_max >= self.items and bool(self.landed_at)

    def problems(self) -> list[str]:
        """Everything that makes this sortie not a success, one phrase each."""
        out = []
        if self.interrupted:
            out.append("interrupted by the operator (RTL commanded)")
        out += self.failsafes
        if not self.completed:
            last = max(self.reached, default=0)
            out.append(f"mission not completed (last item reached {last} of {self.items})")
        if self.landed_at is None:
            out.append("landing position unknown (no GLOBAL_POSITION_INT)")
        elif self.site_distance_m is None or self.site_distance_m > self.tolerance_m:
            shown = "?" if self.site_distance_m is None else f"{self.site_distance_m:.0f}"
            out.append(
                f"landed at {self.landed_at[0]:.6f},{self.landed_at[1]:.6f}, {shown} m from the "
                f"nearest launch site (tolerance {self.tolerance_m:g} m)"
            )
        return out


def launch_points(mission: Mission) -> list[tuple[float, float]]:
    """Where a sortie may end: its rally points, and where it lands (its final LAND item's place,
    else its take-off point or home). A diverted sortie starts in the air, so its take-off item is
    no place to land."""
    points = [(r.lat, r.lon) for r in mission.rally]
    last = mission.items[-1] if mission.items else None
    if last is not None and last.command == Cmd.NAV_LAND and has_position(last):
        return [*points, (last.lat, last.lon)]
    home = as_planned(mission).home
    if home is not None and (home.lat or home.lon):
        points.append((home.lat, home.lon))
    return points


def judge(
    events: Iterable[FlightEvent],
    mission: Mission,
    *,
    commanded: set[int],
    tolerance_m: float = 20.0,
    verdict: Verdict | None = None,
    report: Report | None = None,
) -> Verdict:
    """Fold ``watch`` events into a verdict; ``commanded`` are the modes we asked for."""
    v = verdict or _verdict(mission, tolerance_m)
    for event in events:
        if report is not None:
            report(event)
        if event.kind == "reached" and event.seq is not None:
            v.reached.add(event.seq)
        elif event.kind == "current" and event.seq is not None and not v.landed_at:
            v.current_max = max(v.current_max, event.seq)
        elif event.kind == "text" and FAILSAFE_TEXT.search(event.text):
            v.failsafes.append(f"vehicle said {event.text.strip()!r}")
        elif event.kind == "mode" and event.seq in _TAKEN_OVER and event.seq not in commanded:
            v.failsafes.append(f"mode changed to {event.text}, not commanded")
        elif event.kind == "landed":
            if event.lat is not None and event.lon is not None:
                v.landed_at = (event.lat, event.lon)
                sites = launch_points(mission)
                v.site_distance_m = min(
                    (haversine_m(event.lat, event.lon, la, lo) for la, lo in sites),
                    default=None,
                )
    return v


def _verdict(mission: Mission, tolerance_m: float) -> Verdict:
    last = mission.items[-1].command if mission.items else None
    ends = last in (Cmd.NAV_LAND, Cmd.NAV_RETURN_TO_LAUNCH)
    return Verdict(len(mission.items), ends_by_landing=ends, tolerance_m=tolerance_m)


@dataclass(frozen=True)
class Turned:
    """What a diversion did. ``mission`` None: refused before anything was written, and the first
    sortie goes on (``problem`` says why). ``problem`` with a mission: it failed after writing, and
    RTL was commanded. Otherwise the vehicle flies ``mission`` from item ``seq`` (``digest``)."""

    mission: Mission | None
    digest: str = ""
    seq: int = 0
    problem: str = ""


class Diversion(Protocol):
    """Asked between a flight's events (``vehicle.sortie_divert.AirDiversion``): when ``due``,
    ``divert`` turns the vehicle in the air onto a new mission and says how that went, and
    ``decline`` drops an order that must not be carried out now."""

    def due(self) -> bool: ...
    def divert(self, vehicle: Vehicle) -> Turned: ...
    def decline(self) -> None: ...


@dataclass
class _Flight:
    """The mission being flown and its verdict (both change when a diversion succeeds), the
    modes commanded, the vehicle's last mode, and whether it has landed."""

    mission: Mission
    verdict: Verdict
    commanded: set[int]
    mode: int | None = None
    landed: bool = False

    @classmethod
    def of(cls, mission: Mission, plan: SortiePlan) -> _Flight:
        """A sortie's flight as it starts: GUIDED and AUTO are the modes it commands itself."""
        commanded = {COPTER_MODES["GUIDED"], COPTER_MODES["AUTO"]}
        return cls(mission, _verdict(mission, plan.landing_tolerance_m), commanded)


def _until_due(events: Iterable[FlightEvent], flight: _Flight, diversion: Diversion
               ) -> Iterator[FlightEvent]:  # fmt: skip
    for event in events:
        if event.kind == "mode":
            flight.mode = event.seq
        flight.landed = flight.landed or event.kind == "landed"
        yield event
        if diversion.due():
            return


def _refusal(flight: _Flight) -> str:
    """Why a drone must not be diverted now: it is not flying its mission in AUTO."""
    v = flight.verdict
    if v.failsafes or v.interrupted:
        return "the drone is returning on its own (" + "; ".join(v.failsafes or ["RTL"]) + ")"
    if flight.mode != COPTER_MODES["AUTO"]:
        return "the drone is not flying its mission in AUTO"
    return ""


def follow_through(
    vehicle: Vehicle,
    flight: _Flight,
    *,
    timeout_s: float,
    report: Report | None,
    replay: Iterable[Any] = (),
    diversion: Diversion | None = None,
) -> Verdict:
    """Judge a flight to the ground. Between events a due ``diversion`` turns the vehicle onto a
    new mission, which is judged from then on; the events "diverting", "diverted" (``seq``: the
    item it resumes at, ``text``: the manifest) or "divert_refused" (``text``: why) are reported."""
    while True:
        events = recover_breaches(vehicle, vehicle.watch(timeout_s, replay=replay))
        replay = ()
        if diversion is None:
            return judge(events, flight.mission, commanded=flight.commanded,
                         verdict=flight.verdict, report=report)  # fmt: skip
        judge(_until_due(events, flight, diversion), flight.mission, commanded=flight.commanded,
              verdict=flight.verdict, report=report)  # fmt: skip
        if flight.landed or not diversion.due():
            return flight.verdict
        refusal = _refusal(flight)
        if refusal:
            diversion.decline()
            turned = Turned(None, problem=refusal)
        else:
            _say(report, FlightEvent("diverting"))
            turned = diversion.divert(vehicle)
        if turned.mission is None:
            _say(report, FlightEvent("divert_refused", text=turned.problem))
            continue
        flight.mission = turned.mission
        flight.verdict = _verdict(turned.mission, flight.verdict.tolerance_m)
        if turned.problem:
            flight.commanded.add(COPTER_MODES["RTL"])
            flight.verdict.failsafes.append(turned.problem)
        _say(report, FlightEvent("diverted", seq=turned.seq, text=turned.digest))


def _say(report: Report | None, event: FlightEvent) -> None:
    if report is not None:
        report(event)


def fly_sortie(
    link: MessageLink,
    target: Target,
    mission: Mission,
    plan: SortiePlan,
    *,
    takeoff_alt_m: float,
    ready_timeout_s: float = 90.0,
    flight_timeout_s: float = 3600.0,
    report: Report | None = None,
    diversion: Diversion | None = None,
) -> Verdict:
    """Arm, take off, fly the uploaded mission, follow it to the ground, and judge how it ended.

    Ctrl-C commands RTL and keeps following (a second Ctrl-C leaves the vehicle to its
    failsafes); the verdict then says it was interrupted. Ground-station heartbeats go out
    throughout, so the vehicle's ground-link failsafe returns it home if this process dies.
    A ``diversion`` may turn the vehicle onto a new mission in the air (``follow_through``).
    """
    vehicle = Vehicle(link, target)
    vehicle.request_telemetry()
    heartbeat, _ = ground_station(link, vehicle.ex.recv_until)  # on the ground: nothing to lose
    with heartbeat:
        vehicle.wait_armable(ready_timeout_s)
        vehicle.set_mode("GUIDED")
        vehicle.arm()
        flight = _Flight.of(mission, plan)
        try:
            vehicle.takeoff(takeoff_alt_m)
            vehicle.start_mission()
            _say(report, FlightEvent("started"))
            return follow_through(vehicle, flight, timeout_s=flight_timeout_s, report=report,
                                  diversion=diversion)  # fmt: skip
        except KeyboardInterrupt:
            flight.commanded.add(COPTER_MODES["RTL"])
            vehicle.return_to_launch()
            flight.verdict.interrupted = True
            _say(report, FlightEvent("interrupted"))
            return follow_through(vehicle, flight, timeout_s=flight_timeout_s, report=report)


def follow_sortie(
    link: MessageLink,
    target: Target,
    mission: Mission,
    plan: SortiePlan,
    *,
    flight_timeout_s: float = 3600.0,
    report: Report | None = None,
    diversion: Diversion | None = None,
) -> Verdict:
    """Follow a vehicle already flying ``mission`` until landed and disarmed; judge the ending.

    Nothing is commanded (unless a ``diversion`` is due): the modes a sortie itself commands
    (GUIDED, AUTO) count as commanded, so an RTL or LAND the vehicle chose on its own is reported
    as the failsafe it is (the ground-link failsafe, when the follower was away longer than
    FS_GCS_TIMEOUT). Ground-station heartbeats go out again while following, as ``fly_sortie``
    sends them.
    """
    vehicle = Vehicle(link, target)
    vehicle.request_telemetry()
    flight = _Flight.of(mission, plan)
    heartbeat, read = ground_station(link, vehicle.ex.recv_until)
    with heartbeat:
        return follow_through(vehicle, flight, timeout_s=flight_timeout_s, report=report,
                              replay=read, diversion=diversion)  # fmt: skip


def require_completed(verdict: Verdict) -> None:
    """One line naming every way the sortie went wrong; the CLI exits 2 on it."""
    problems = verdict.problems()
    if problems:
        raise SortieAborted(
            N_(
                "sortie not completed as planned: {problems}; inspect the vehicle and its pack, "
                "and download the flight log before the next sortie",
                problems="; ".join(problems),
            )
        )


def takeoff_alt(mission: Mission, default: float) -> float:
    """The take-off item's altitude, else ``default``."""
    for item in mission.items:
        if item.command == Cmd.NAV_TAKEOFF and math.isfinite(item.alt) and item.alt > 0:
            return float(item.alt)
    return default
