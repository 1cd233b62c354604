"""Where a copter flying a mission is at any moment, under the flight model.

The separation check needs positions at the same instants for several sorties, so a mission is
turned into a piecewise-linear path in time: vertical take-off climb, straight legs, loiter turns
as polygons of 10-degree chords (within 0.4 % of the radius of the circle), hovers, DO_JUMP
repeats, and RTL (climb to the RTL altitude, go home, descend).
Timing follows ``mission.flight_model.FlightModel`` term for term (leg = distance / speed +
corner time, height change at climb or descent rate, orbit = out, round, back), so a trajectory
ends when the planner's estimate says the sortie ends. Positions are the district's local metres,
altitudes metres above the launch site.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mission.errors import PlanError
from mission.geo import LocalFrame
from mission.model import Cmd, Frame, Mission, MissionItem
from mission.text import N_

__all__ = ["Speeds", "Trajectory", "trajectory", "constant_speed"]

_ARC_STEP_RAD = math.radians(10.0)
_DEFAULT_LOITER_RADIUS_M = 10.0
_MAX_STEPS = 100_000


class Speeds(Protocol):
    """The part of ``mission.flight_model.FlightModel`` a trajectory needs."""

    cruise_mps: float
    climb_mps: float
    descent_mps: float
    corner_s: float


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
        self.speed = float(speeds.cruise_mps)

    @property
    def here(self) -> np.ndarray:
        return self.p[-1]

    def _add(self, dt: float, point: np.ndarray) -> None:
        if dt <= 0.0:
            return
        self.t.append(self.t[-1] + dt)
        self.p.append(point)

    def leg(self, target: np.ndarray, corner: bool = True) -> None:
        """A straight leg: horizontal time plus height-change time, then braking into the corner."""
        d = target - self.here
        horizontal = math.hypot(d[0], d[1])
        rate = self.speeds.climb_mps if d[2] > 0 else self.speeds.descent_mps
        dt = abs(d[2]) / rate
        if horizontal > 0:
            dt += horizontal / self.speed
        self._add(dt, target)
        if corner and horizontal > 0:
            self.hover(self.speeds.corner_s)

    def hover(self, seconds: float) -> None:
        self._add(max(float(seconds), 0.0), self.here.copy())

    def orbit(self, radius: float, turns: float, clockwise: bool) -> None:
        """Loiter turns round the current point: out to the circle, round it, back to the centre."""
        center = self.here.copy()
        self._add(radius / self.speed, center + [radius, 0.0, 0.0])
        sweep = 2.0 * math.pi * max(turns, 0.0)
        steps = max(1, math.ceil(sweep / _ARC_STEP_RAD))
        chord_s = sweep * radius / steps / self.speed
        sign = -1.0 if clockwise else 1.0
        for k in range(1, steps + 1):
            a = sign * sweep * k / steps
            self._add(chord_s, center + [radius * math.cos(a), radius * math.sin(a), 0.0])
        self._add(radius / self.speed, center)


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
    landed = False
    jumps_left: dict[int, int] = {}
    i = steps = 0
    items = mission.items
    while i < len(items) and steps < _MAX_STEPS:
        steps += 1
        item = items[i]
        cmd = item.command
        if cmd == Cmd.DO_JUMP:
            if item.param2 < 0:
                break
            left = jumps_left.setdefault(i, int(item.param2))
            if left != 0:
                jumps_left[i] = left - 1
                i = max(int(item.param1) - 1, 0)
                continue
        elif cmd == Cmd.DO_CHANGE_SPEED and item.param2 > 0:
            path.speed = float(item.param2)
        elif cmd == Cmd.NAV_TAKEOFF:
            path.leg(np.array([path.here[0], path.here[1], _alt(item, path.here, home_amsl)]))
        elif cmd in (Cmd.NAV_WAYPOINT, Cmd.NAV_SPLINE_WAYPOINT, Cmd.NAV_LOITER_TIME):
            path.leg(_target(item, path.here, frame, home_amsl))
            path.hover(item.param1)
        elif cmd == Cmd.NAV_LOITER_TURNS:
            path.leg(_target(item, path.here, frame, home_amsl))
            radius = abs(item.param3) or _DEFAULT_LOITER_RADIUS_M
            path.orbit(radius, item.param1, clockwise=item.param3 >= 0)
        elif cmd == Cmd.NAV_LOITER_UNLIM:
            path.leg(_target(item, path.here, frame, home_amsl))
            break
        elif cmd == Cmd.NAV_RETURN_TO_LAUNCH:
            z = path.here[2] if rtl_alt_m is None else max(path.here[2], rtl_alt_m)
            path.leg(np.array([path.here[0], path.here[1], z]), corner=False)
            path.leg(np.array([home[0], home[1], z]))
            path.leg(home.copy())
            landed = True
            break
        elif cmd == Cmd.NAV_LAND:
            target = _target(item, path.here, frame, home_amsl)
            path.leg(np.array([target[0], target[1], path.here[2]]))
            path.leg(np.array([target[0], target[1], 0.0]))
            landed = True
            break
        i += 1
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


def _home_xy(mission: Mission, frame: LocalFrame) -> tuple[float, float]:
    if mission.home is not None and (mission.home.lat or mission.home.lon):
        x, y = frame.to_metric(mission.home.lon, mission.home.lat)
        return float(x), float(y)
    for item in mission.items:
        if item.lat or item.lon:
            x, y = frame.to_metric(item.lon, item.lat)
            return float(x), float(y)
    raise PlanError(N_("mission has no home and no positioned item; give it a launch site"))
