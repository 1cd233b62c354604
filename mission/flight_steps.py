"""A mission as the autopilot flies it: navigation steps in flown order, and how each is passed.

The flight model and the trajectory both need the same walk (DO_JUMP repeats followed, speed
changes applied, "0/0 means here") and the same judgement of each waypoint: does the copter fly
through it, and at what turn angle, or does it stop there? ArduCopter blends a waypoint into the
next leg only when the next navigation command is also a waypoint and it need not hold there; a
loiter, a landing or the end of the mission makes it stop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mission.model import Cmd, Mission, MissionItem

__all__ = [
    "EARTH_RADIUS_M",
    "FOREVER",
    "POSITIONAL",
    "NavStep",
    "haversine_m",
    "has_position",
    "launch_place",
    "nav_steps",
    "on_the_globe",
    "places",
    "turn_angles",
    "turn_deg",
]

EARTH_RADIUS_M = 6_371_008.8
# Commands that fly to a place; their lat/lon 0/0 means "where the vehicle is now".
POSITIONAL = {
    int(c)
    for c in (
        Cmd.NAV_WAYPOINT,
        Cmd.NAV_LOITER_UNLIM,
        Cmd.NAV_LOITER_TURNS,
        Cmd.NAV_LOITER_TIME,
        Cmd.NAV_LAND,
        Cmd.NAV_TAKEOFF,
        Cmd.NAV_SPLINE_WAYPOINT,
    )
}
_THROUGH = {int(Cmd.NAV_WAYPOINT), int(Cmd.NAV_SPLINE_WAYPOINT)}
# An unbounded DO_JUMP or LOITER_UNLIM never ends; estimates report this instead of a number.
FOREVER = math.inf
_MAX_STEPS = 100_000
_SAME_PLACE_M = 0.01  # closer than this, two waypoints are one place (no leg, no turn)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def on_the_globe(lat: float, lon: float) -> bool:
    """True for a latitude and longitude that name a place: finite, and in range."""
    return math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180


def has_position(item: MissionItem) -> bool:
    """True when the item names a place to fly to (0/0 means "here" for most NAV commands)."""
    if item.command not in POSITIONAL:
        return False
    return not (item.lat == 0.0 and item.lon == 0.0)


@dataclass(frozen=True)
class NavStep:
    """One navigation command as flown: the item, its index, the horizontal speed in force."""

    index: int
    item: MissionItem
    speed_mps: float


def nav_steps(mission: Mission, cruise_mps: float) -> tuple[list[NavStep], bool]:
    """The navigation commands in flown order (DO_JUMP repeats unrolled), and whether the
    mission ends: False for an unbounded jump, a LOITER_UNLIM, or a runaway of jumps."""
    items = mission.items
    steps: list[NavStep] = []
    jumps_left: dict[int, int] = {}
    speed = cruise_mps
    i = walked = 0
    while i < len(items):
        walked += 1
        if walked > _MAX_STEPS:
            return steps, False
        it = items[i]
        cmd = it.command
        if cmd == Cmd.DO_JUMP:
            repeat = int(it.param2) if math.isfinite(it.param2) else -1
            if repeat < 0:
                return steps, False
            left = jumps_left.setdefault(i, repeat)
            if left > 0:
                jumps_left[i] = left - 1
                target = int(it.param1) if math.isfinite(it.param1) else 0
                i = max(target - 1, 0)
                continue
        elif cmd == Cmd.DO_CHANGE_SPEED and math.isfinite(it.param2) and it.param2 > 0:
            speed = float(it.param2)
        elif cmd == Cmd.NAV_LOITER_UNLIM:
            steps.append(NavStep(i, it, speed))
            return steps, False
        elif cmd in POSITIONAL or cmd == Cmd.NAV_RETURN_TO_LAUNCH:
            steps.append(NavStep(i, it, speed))
            if cmd == Cmd.NAV_RETURN_TO_LAUNCH:
                return steps, True
        i += 1
    return steps, True


def _offset(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """East/north metres from ``a`` to ``b`` (local flat-earth: only its direction is used)."""
    east = math.radians(b[1] - a[1]) * math.cos(math.radians(a[0])) * EARTH_RADIUS_M
    north = math.radians(b[0] - a[0]) * EARTH_RADIUS_M
    return east, north


def turn_deg(before: tuple[float, float], after: tuple[float, float]) -> float:
    """The angle between two directions (east, north), 0 (straight on) to 180 (reversal)."""
    cross = before[0] * after[1] - before[1] * after[0]
    dot = before[0] * after[0] + before[1] * after[1]
    return abs(math.degrees(math.atan2(cross, dot)))


def launch_place(mission: Mission) -> tuple[float, float] | None:
    """Where the mission takes off from: its home, if that names a place."""
    h = mission.home
    if h is None or not (h.lat or h.lon) or not math.isfinite(h.lat + h.lon):
        return None
    return (h.lat, h.lon)


def places(
    steps: list[NavStep], start: tuple[float, float] | None
) -> list[tuple[float, float] | None]:
    """Where the copter is at the end of each step: the item's place, "here" for 0/0, and the
    take-off place ``start`` after a return to launch (None while nothing is known)."""
    out: list[tuple[float, float] | None] = []
    here = start
    for st in steps:
        if st.item.command == Cmd.NAV_RETURN_TO_LAUNCH and start is not None:
            here = start
        elif has_position(st.item):
            here = (st.item.lat, st.item.lon)
        out.append(here)
    return out


def turn_angles(steps: list[NavStep], where: list) -> list[float | None]:
    """For each step, the turn angle (degrees) at which the copter may fly through its place
    ``where[k]``, or None where it stops there (loiters, take-off, landing, a hold, the last
    waypoint, a waypoint before anything that is not a waypoint). Repeated places count once:
    the turn is measured between the distinct places around it."""
    out: list[float | None] = [None] * len(steps)
    for k, st in enumerate(steps):
        it = st.item
        if it.command not in _THROUGH or where[k] is None or not it.param1 <= 0.0:
            continue
        if k + 1 >= len(steps) or steps[k + 1].item.command not in _THROUGH:
            continue
        prev, nxt = _distinct(where, k, -1), _distinct(where, k, +1)
        if prev is not None and nxt is not None:
            out[k] = turn_deg(_offset(prev, where[k]), _offset(where[k], nxt))
    return out


def _distinct(where: list, k: int, direction: int) -> tuple[float, float] | None:
    """The nearest place before/after ``k`` that is not the same place (None if none)."""
    j = k + direction
    while 0 <= j < len(where):
        p = where[j]
        if p is not None and haversine_m(*p, *where[k]) >= _SAME_PLACE_M:
            return p
        j += direction
    return None
