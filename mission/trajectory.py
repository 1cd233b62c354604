"""Where a copter flying a mission is at any moment, under the flight model.

The separation check needs positions at the same instants for several sorties, so a mission is
turned into a piecewise-linear path in time: take-off spool-up and vertical climb, straight legs,
loiter turns as polygons of 10-degree chords (within 0.4 % of the radius of the circle), hovers,
DO_JUMP repeats, RTL (climb to the RTL altitude, go home, hover, land) and the landing.
Timing comes from ``mission.flight_model.FlightModel`` term for term (each leg's time with its
braking and accelerating at corners, height change at climb or descent rate, orbit, landing), so a
trajectory ends when the planner's estimate says the sortie ends. Positions are the district's local metres,
altitudes metres above the launch site.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mission.errors import PlanError
from mission.flight_model import (
    LOITER_RADIUS_DEFAULT_M,
    ORBIT_SETTLE_S,
    RTL_LOITER_S,
    TAKEOFF_S,
)
from mission.flight_steps import NavStep, launch_place, nav_steps
from mission.geo import LocalFrame
from mission.model import Cmd, Frame, Mission, MissionItem
from mission.text import N_

__all__ = ["Speeds", "Trajectory", "trajectory", "constant_speed"]

_ARC_STEP_RAD = math.radians(10.0)


class Speeds(Protocol):
    """The part of ``mission.flight_model.FlightModel`` a trajectory needs: its speeds and its
    timing of legs, orbits, take-off and landing, so a trajectory keeps the planner's time."""

    cruise_mps: float
    climb_mps: float
    descent_mps: float

    def horizontal_s(
        self, steps: list[NavStep], start: tuple[float, float] | None, lengths: list[float]
    ) -> list[float]: ...

    def orbit_s(self, radius_m: float, turns: float, speed_mps: float | None) -> float: ...

    def landing_s(self, height_m: float) -> float: ...


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Vertices of a piecewise-linear path: ``t`` seconds (from the horizon start), ``xyz`` metres.

    The vehicle is on the ground before ``t[0]`` and after ``t[-1]``; it is airborne in between.
    """

    id: str
    t: np.ndarray
    xyz: np.ndarray

    @property
    def start_s(self) -> float:
        return float(self.t[0])

    @property
    def end_s(self) -> float:
        return float(self.t[-1])

    def at(self, times) -> np.ndarray:
        """Positions (N, 3) at the given times, clamped to the first and last vertex."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        return np.column_stack([np.interp(times, self.t, self.xyz[:, k]) for k in range(3)])


def constant_speed(points, speed_mps: float, *, id: str = "", start_s: float = 0.0) -> Trajectory:
    """Straight legs through ``points`` (N, 3) at one horizontal speed, with no corner time.

    The camera path of rendered footage: a patrol seen from above, where the planner's take-off,
    corners and landing are not filmed.
    """
    xyz = np.asarray(points, dtype=float)
    if len(xyz) < 2 or not speed_mps > 0:
        raise PlanError(N_("a path needs at least two points and a positive speed"))
    legs = np.linalg.norm(np.diff(xyz[:, :2], axis=0), axis=1)
    t = start_s + np.concatenate([[0.0], np.cumsum(legs)]) / speed_mps
    return Trajectory(id=id, t=t, xyz=xyz)


class _Path:
    """Accumulates vertices while walking the mission items."""

    def __init__(self, t0: float, start: np.ndarray, speeds: Speeds):
        self.t = [t0]
        self.p = [start]
        self.speeds = speeds

    @property
    def here(self) -> np.ndarray:
        return self.p[-1]

    def _add(self, dt: float, point: np.ndarray) -> None:
        if not dt > 0.0:
            return
        self.t.append(self.t[-1] + dt)
        self.p.append(point)

    def leg(self, target: np.ndarray, horizontal_s: float = 0.0) -> None:
        """A straight leg: its horizontal time (the flight model's) plus its height change."""
        dz = target[2] - self.here[2]
        rate = self.speeds.climb_mps if dz > 0 else self.speeds.descent_mps
        self._add(abs(dz) / rate + horizontal_s, target)

    def land(self) -> None:
        self._add(self.speeds.landing_s(float(self.here[2])), self.here * [1.0, 1.0, 0.0])

    def hover(self, seconds: float) -> None:
        self._add(max(float(seconds), 0.0), self.here.copy())

    def orbit(self, radius: float, turns: float, clockwise: bool, total_s: float) -> None:
        """Loiter turns round the current point: out to the circle, round it, back to the centre,
        in the flight model's ``total_s`` (easing in and out at the centre legs)."""
        center = self.here.copy()
        sweep = 2.0 * math.pi * max(turns, 0.0)
        round_s = max(total_s - ORBIT_SETTLE_S, 0.0)
        self._add((total_s - round_s) / 2, center + [radius, 0.0, 0.0])
        steps = max(1, math.ceil(sweep / _ARC_STEP_RAD))
        sign = -1.0 if clockwise else 1.0
        for k in range(1, steps + 1):
            a = sign * sweep * k / steps
            self._add(round_s / steps, center + [radius * math.cos(a), radius * math.sin(a), 0.0])
        self._add((total_s - round_s) / 2, center)


def trajectory(
    mission: Mission,
    *,
    id: str,
    start_s: float,
    speeds: Speeds,
    frame: LocalFrame,
    launch_xy: tuple[float, float] | None = None,
    rtl_alt_m: float | None = None,
    hold_until_s: float | None = None,
) -> Trajectory:
    """The path of ``mission`` launched at ``start_s`` from ``launch_xy`` (default: its home).

    ``rtl_alt_m`` is the vehicle's RTL_ALT for this sortie (None: return at the current altitude).
    A mission that ends without RTL or LAND (or in LOITER_UNLIM) leaves the copter hovering, as
    ArduCopter does; it is held there until ``hold_until_s`` (the end of its slot) when given.
    """
    if launch_xy is None:
        launch_xy = _home_xy(mission, frame)
    home = np.array([launch_xy[0], launch_xy[1], 0.0])
    home_amsl = mission.home.alt if mission.home is not None else 0.0
    path = _Path(float(start_s), home.copy(), speeds)
    path.hover(TAKEOFF_S)
    steps, _ = nav_steps(mission, speeds.cruise_mps)
    legs = speeds.horizontal_s(steps, launch_place(mission), _lengths(steps, home, frame))
    landed = False
    for st, leg_s in zip(steps, legs, strict=True):
        item = st.item
        cmd = item.command
        if cmd == Cmd.NAV_TAKEOFF:
            top = _alt(item, path.here, home_amsl)
            path.leg(np.array([path.here[0], path.here[1], top]), leg_s)
        elif cmd in (Cmd.NAV_WAYPOINT, Cmd.NAV_SPLINE_WAYPOINT, Cmd.NAV_LOITER_TIME):
            path.leg(_target(item, path.here, frame, home_amsl), leg_s)
            if math.isfinite(item.param1):
                path.hover(item.param1)
        elif cmd == Cmd.NAV_LOITER_TURNS:
            path.leg(_target(item, path.here, frame, home_amsl), leg_s)
            radius = abs(item.param3) or LOITER_RADIUS_DEFAULT_M
            total = speeds.orbit_s(item.param3, item.param1, st.speed_mps)
            path.orbit(radius, item.param1, item.param3 >= 0, total)
        elif cmd == Cmd.NAV_LOITER_UNLIM:
            path.leg(_target(item, path.here, frame, home_amsl), leg_s)
        elif cmd == Cmd.NAV_RETURN_TO_LAUNCH:
            z = path.here[2] if rtl_alt_m is None else max(path.here[2], rtl_alt_m)
            path.leg(np.array([path.here[0], path.here[1], z]))
            path.leg(np.array([home[0], home[1], z]), leg_s)
            path.hover(RTL_LOITER_S)
            path.land()
            landed = True
        elif cmd == Cmd.NAV_LAND:
            target = _target(item, path.here, frame, home_amsl)
            path.leg(np.array([target[0], target[1], path.here[2]]), leg_s)
            path.land()
            landed = True
            break
    if not landed and hold_until_s is not None and hold_until_s > path.t[-1]:
        path.hover(hold_until_s - path.t[-1])
    return Trajectory(id=id, t=np.array(path.t), xyz=np.vstack(path.p))


def _alt(item: MissionItem, here: np.ndarray, home_amsl: float) -> float:
    """Altitude above the launch site; 0 keeps the current altitude, as ArduCopter does."""
    if item.alt == 0.0 or not math.isfinite(item.alt):
        return float(here[2])
    return item.alt - home_amsl if item.frame == Frame.GLOBAL else item.alt


def _target(item: MissionItem, here: np.ndarray, frame: LocalFrame, home_amsl: float) -> np.ndarray:
    """A navigation item's position; lat/lon 0/0 means 'here'."""
    if item.lat == 0.0 and item.lon == 0.0:
        x, y = here[0], here[1]
    else:
        x, y = frame.to_metric(item.lon, item.lat)
    return np.array([float(x), float(y), _alt(item, here, home_amsl)])


def _lengths(steps: list[NavStep], home: np.ndarray, frame: LocalFrame) -> list[float]:
    """Each step's horizontal leg in the district's metres (the take-off climbs in place)."""
    here, out = home[:2], []
    for st in steps:
        it = st.item
        if it.command == Cmd.NAV_RETURN_TO_LAUNCH:
            there = home[:2]
        elif it.command != Cmd.NAV_TAKEOFF and (it.lat or it.lon):
            there = np.asarray(frame.to_metric(it.lon, it.lat), dtype=float)
        else:
            there = here
        out.append(float(math.hypot(*(there - here))))
        here = there
    return out


def _home_xy(mission: Mission, frame: LocalFrame) -> tuple[float, float]:
    if mission.home is not None and (mission.home.lat or mission.home.lon):
        x, y = frame.to_metric(mission.home.lon, mission.home.lat)
        return float(x), float(y)
    for item in mission.items:
        if item.lat or item.lon:
            x, y = frame.to_metric(item.lon, item.lat)
            return float(x), float(y)
    raise PlanError(N_("mission has no home and no positioned item; give it a launch site"))
